import type { Metadata } from "next";
import Link from "next/link";
import { KeyStateBadge } from "@/components/key-state-badge";
import { AccountIdentity, identitiesOf } from "./account-identity";
import { DeleteAccountForm } from "./delete-account-form";
import { loadAccountPage, type AccountParams } from "./load-account";

export async function generateMetadata({ params }: { params: AccountParams }): Promise<Metadata> {
  return { title: (await params).name };
}

export default async function AccountPage({ params }: { params: AccountParams }) {
  const { account, canWrite, ref } = await loadAccountPage(params);
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
          <dd>
            <AccountIdentity account={ref} identities={identitiesOf(account)} canWrite={canWrite} />
          </dd>
          <dt>Encryption</dt>
          <dd>
            <KeyStateBadge account={account} /> ·{" "}
            <Link href={`/accounts/${account.subscriptionId}/${account.resourceGroup}/${account.name}/encryption`}>
              Manage encryption
            </Link>
          </dd>
          <dt>Media</dt>
          <dd>
            <Link href={`/accounts/${account.subscriptionId}/${account.resourceGroup}/${account.name}/media`}>
              Assets, jobs, content key policies and streaming locators
            </Link>
          </dd>
        </dl>
      </section>
      <section>
        <DeleteAccountForm account={account} canWrite={canWrite} />
      </section>
    </>
  );
}
