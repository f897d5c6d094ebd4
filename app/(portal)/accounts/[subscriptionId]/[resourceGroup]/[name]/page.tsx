import type { Metadata } from "next";
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { getAccountFor } from "@/lib/accounts/service";
import { accessOf } from "@/lib/auth/authorize";
import { currentPrincipal } from "@/lib/auth/current";
import { DomainError } from "@/lib/errors";
import { DeleteAccountForm } from "./delete-account-form";

type Params = Promise<{ subscriptionId: string; resourceGroup: string; name: string }>;

export async function generateMetadata({ params }: { params: Params }): Promise<Metadata> {
  return { title: (await params).name };
}

export default async function AccountPage({ params }: { params: Params }) {
  const raw = await params;
  const principal = await currentPrincipal();
  if (!principal) redirect(`/auth/sign-in?returnTo=${encodeURIComponent(`/accounts/${raw.subscriptionId}/${raw.resourceGroup}/${raw.name}`)}`);
  const ref = AccountRefInput.safeParse(raw);
  if (!ref.success) notFound();
  const account = await getAccountFor(principal, ref.data).catch((err: unknown) => {
    // Another tenant's or an unknown account looks the same: not found, so names do not leak.
    if (err instanceof DomainError && (err.code === "AuthorizationFailed" || err.code === "ResourceNotFound")) notFound();
    throw err;
  });
  const canWrite = (await accessOf(principal)).writable.includes(account.subscriptionId);
  return (
    <>
      <h1>{account.name}</h1>
      <section aria-labelledby="facts-h">
        <h2 id="facts-h" className="muted" style={{ fontSize: "1rem" }}>
          Overview
        </h2>
        <dl className="facts">
          <dt>Region</dt>
          <dd>{account.location}</dd>
          <dt>Resource group</dt>
          <dd>{account.resourceGroup}</dd>
          <dt>Subscription</dt>
          <dd>
            <code>{account.subscriptionId}</code>
          </dd>
          <dt>Identity</dt>
          <dd>{account.identityType}</dd>
          <dt>Encryption</dt>
          <dd>
            {account.encryptionType === "CustomerKey" ? "Customer key" : "System key"} ·{" "}
            <Link href={`/accounts/${account.subscriptionId}/${account.resourceGroup}/${account.name}/encryption`}>Manage encryption</Link>
          </dd>
        </dl>
      </section>
      <section>
        <DeleteAccountForm account={account} canWrite={canWrite} />
      </section>
    </>
  );
}
