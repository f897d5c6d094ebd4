import type { Metadata } from "next";
import Link from "next/link";
import { AccountsListParams, keyStateFilters, positionParam } from "@/lib/accounts/list-params";
import { accountsPage, type AccountsCursor } from "@/lib/accounts/store";
import { accessOf } from "@/lib/auth/authorize";
import { currentPrincipal } from "@/lib/auth/current";
import { subscriptionNames } from "@/lib/accounts/subscriptions";
import { CreateAccountForm } from "./create-account-form";
import { KeyStateBadge } from "@/components/key-state-badge";
import { TableScroll } from "@/components/data-table";
import { ReadOnlyNotice } from "@/components/read-only-notice";

export const metadata: Metadata = { title: "Accounts" };

/** Filters and pager on one line, wrapping on a narrow screen (the page's own layout, not a global class). */
const row = { display: "flex", flexWrap: "wrap", gap: "0.75rem", alignItems: "end", margin: "0.75rem 0" } as const;

/** Rows per page: the page's size stays the same however many accounts there are. */
const PAGE_SIZE = 50;

const stateLabels: Record<(typeof keyStateFilters)[number], string> = {
  SystemKey: "System key",
  CustomerKey: "Customer key, active",
  CustomerKeyInaccessible: "Customer key inaccessible",
};

export default async function AccountsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const params = AccountsListParams.parse(await searchParams);
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
  const access = await accessOf(principal);
  // A subscription the caller may not read filters to nothing, as if it had no accounts.
  const scope = params.subscription ? access.readable.filter((s) => s === params.subscription) : access.readable;
  const cursor: AccountsCursor | undefined = params.after
    ? { direction: "after", at: params.after }
    : params.before
      ? { direction: "before", at: params.before }
      : undefined;
  const [names, page] = await Promise.all([
    subscriptionNames(access.readable),
    accountsPage({ subscriptionIds: scope, prefix: params.q, state: params.state, cursor, pageSize: PAGE_SIZE }),
  ]);
  const matching = [...page.perSubscription.values()].reduce((a, b) => a + b, 0);
  const filtered = Boolean(params.q || params.state || params.subscription);
  const link = (position: Partial<Pick<AccountsListParams, "after" | "before">>) => {
    const query = new URLSearchParams();
    if (params.q) query.set("q", params.q);
    if (params.state) query.set("state", params.state);
    if (params.subscription) query.set("subscription", params.subscription);
    if (position.after) query.set("after", positionParam(position.after));
    if (position.before) query.set("before", positionParam(position.before));
    const search = query.toString();
    return search ? `/accounts?${search}` : "/accounts";
  };
  return (
    <>
      <h1>Accounts</h1>
      <ReadOnlyNotice subscriptionIds={access.readable} />
      {params.deleted && (
        <p className="notice ok" role="status" data-testid="deleted-notice">
          Account {params.deleted} was deleted, with everything encrypted under its account key.
        </p>
      )}
      <section aria-labelledby="list-h">
        <h2 id="list-h" className="muted" style={{ fontSize: "1rem" }} data-testid="accounts-count">
          {matching} {filtered ? "matching " : ""}account{matching === 1 ? "" : "s"} in {access.readable.length}{" "}
          subscription
          {access.readable.length === 1 ? "" : "s"}
        </h2>
        <form method="get" action="/accounts" role="search" data-testid="accounts-filters" style={row}>
          <label>
            Name starts with
            <input name="q" type="search" defaultValue={params.q ?? ""} maxLength={24} autoComplete="off" />
          </label>
          <label>
            Key state
            <select name="state" defaultValue={params.state ?? ""}>
              <option value="">
                Any ({page.counts.SystemKey + page.counts.CustomerKey + page.counts.CustomerKeyInaccessible})
              </option>
              {keyStateFilters.map((s) => (
                <option key={s} value={s}>
                  {stateLabels[s]} ({page.counts[s]})
                </option>
              ))}
            </select>
          </label>
          <label>
            Subscription
            <select name="subscription" defaultValue={params.subscription ?? ""}>
              <option value="">Any</option>
              {access.readable.map((id) => (
                <option key={id} value={id}>
                  {names.get(id) ?? id} ({page.perSubscription.get(id) ?? 0})
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
          {filtered && <Link href="/accounts">Clear</Link>}
        </form>
        {page.accounts.length === 0 && filtered && (
          <p className="muted" data-testid="accounts-none-match">
            No account matches.
          </p>
        )}
        {page.accounts.length > 0 && (
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
                {page.accounts.map((a) => (
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
        {(page.previous || page.next) && (
          <nav aria-label="Pages of accounts" style={row}>
            {page.previous && (
              <Link href={link({ before: page.previous })} rel="prev" data-testid="accounts-previous">
                Previous {PAGE_SIZE}
              </Link>
            )}
            {page.next && (
              <Link href={link({ after: page.next })} rel="next" data-testid="accounts-next">
                Next {PAGE_SIZE}
              </Link>
            )}
          </nav>
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
