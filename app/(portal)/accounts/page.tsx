import type { Metadata } from "next";
import Link from "next/link";
import { listAccountsFor } from "@/lib/accounts/service";
import { accessOf } from "@/lib/auth/authorize";
import { currentPrincipal } from "@/lib/auth/current";
import { AccountName } from "@/lib/accounts/schemas";
import { subscriptionNames } from "@/lib/accounts/subscriptions";
import { CreateAccountForm } from "./create-account-form";
import { KeyStateBadge } from "@/components/key-state-badge";
import { TableScroll } from "@/components/data-table";

export const metadata: Metadata = { title: "Accounts" };

/** The notice after a delete: only an account name (letters and digits) is shown back. */
const DeletedNotice = AccountName.optional().catch(undefined);

export default async function AccountsPage({ searchParams }: { searchParams: Promise<{ deleted?: string }> }) {
  const deleted = DeletedNotice.parse((await searchParams).deleted);
  const principal = await currentPrincipal();
  if (!principal) {
    return (
      <>
        <h1>Accounts</h1>
        <p className="muted" data-testid="accounts-empty">
          {/* A plain link: prefetching the sign-in route follows its redirect to Entra ID, which CORS refuses. */}
          <a href="/auth/sign-in?returnTo=/accounts">Sign in</a> to see the media accounts of the subscriptions you hold
          a role on.
        </p>
      </>
    );
  }
  const [access, accounts] = await Promise.all([accessOf(principal), listAccountsFor(principal)]);
  const names = await subscriptionNames(access.readable);
  return (
    <>
      <h1>Accounts</h1>
      {deleted && (
        <p className="notice ok" role="status" data-testid="deleted-notice">
          Account {deleted} was deleted, with everything encrypted under its account key.
        </p>
      )}
      <section aria-labelledby="list-h">
        <h2 id="list-h" className="muted" style={{ fontSize: "1rem" }}>
          {accounts.length} account{accounts.length === 1 ? "" : "s"} in {access.readable.length} subscription
          {access.readable.length === 1 ? "" : "s"}
        </h2>
        {accounts.length > 0 && (
          <TableScroll label="Accounts">
            <table data-testid="accounts-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Resource group</th>
                  <th scope="col">Region</th>
                  <th scope="col">Subscription</th>
                  <th scope="col">Key state</th>
                </tr>
              </thead>
              <tbody>
                {accounts.map((a) => (
                  <tr key={a.id}>
                    <td>
                      <Link href={`/accounts/${a.subscriptionId}/${a.resourceGroup}/${a.name}`}>{a.name}</Link>
                    </td>
                    <td>{a.resourceGroup}</td>
                    <td>{a.location}</td>
                    <td>{names.get(a.subscriptionId) ?? a.subscriptionId}</td>
                    <td>
                      <KeyStateBadge account={a} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
      <section>
        <CreateAccountForm
          canWrite={access.writable.length > 0}
          subscriptions={(access.writable.length ? access.writable : access.readable).map((id) => ({
            id,
            name: names.get(id) ?? id,
          }))}
        />
      </section>
    </>
  );
}
