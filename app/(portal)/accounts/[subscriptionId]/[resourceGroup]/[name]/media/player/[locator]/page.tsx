import type { Metadata } from "next";
import Link from "next/link";
import { DomainError } from "@/lib/errors";
import { playerSourceFor, type PlayerSource } from "@/lib/media/player";
import { loadAccountPage, type AccountParams } from "../../../load-account";
import { Player } from "./player";

type Params = AccountParams extends Promise<infer P> ? Promise<P & { locator: string }> : never;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: `Player · ${decodeURIComponent((await params).locator)}` };
}

export default async function PlayerPage({ params }: { params: Params }) {
  const locator = decodeURIComponent((await params).locator);
  const { principal, account, ref } = await loadAccountPage(params, `/media/player/${encodeURIComponent(locator)}`);
  const accountPath = `/accounts/${account.subscriptionId}/${account.resourceGroup}/${account.name}`;
  let source: PlayerSource | null = null;
  let refused: string | null = null;
  try {
    source = await playerSourceFor({ principal, ref }, locator);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    refused = err.message;
  }
  return (
    <>
      <p>
        <Link href={`${accountPath}/media`}>← Media resources of {account.name}</Link>
      </p>
      <h1>Player · {locator}</h1>
      {refused && (
        <p className="notice bad" role="alert">
          {refused}
        </p>
      )}
      {source?.unavailable && (
        <p className="notice bad" role="alert" data-testid="player-unavailable">
          {source.unavailable}
        </p>
      )}
      {source?.manifestUrl && (
        <>
          <p className="muted">
            HLS from the streaming endpoint: <code data-testid="player-manifest">{source.manifestUrl}</code>
            {source.encrypted && (
              <>
                {" "}
                · AES-128, content key <code>{source.kid}</code>, with a one-hour test token the portal signs with the
                content key policy&apos;s own key.
              </>
            )}
          </p>
          <Player manifestUrl={source.manifestUrl} encrypted={source.encrypted} account={ref} locator={locator} />
        </>
      )}
    </>
  );
}
