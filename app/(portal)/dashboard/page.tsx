import type { Metadata } from "next";
import Link from "next/link";
import { allowedOperations, blockedOperations, keyStateOf, type KeyState } from "@/lib/accounts/policy";
import { DashboardParams, dashboardPositionParam } from "@/lib/accounts/list-params";
import {
  dashboardPage,
  recentTransitions,
  transitionsSince,
  type DashboardCursor,
  type DashboardKey,
  type KeyStateFilter,
} from "@/lib/accounts/store";
import { accessOf } from "@/lib/auth/authorize";
import { currentPrincipal } from "@/lib/auth/current";
import { AutoRefresh } from "@/components/auto-refresh";
import { CheckNowButton } from "@/components/check-now-button";
import { KeyStateBadge } from "@/components/key-state-badge";
import { TableScroll } from "@/components/data-table";
import { describeTransition } from "@/lib/accounts/key-state-words";
import { checkCountsSince } from "@/lib/monitor/check-counts";
import { ChecksChart } from "./checks-chart";
import { TransitionsChart } from "./transitions-chart";

export const metadata: Metadata = { title: "Dashboard" };

const PAGE_SIZE = 50;
const stateLabels: Record<KeyState, string> = {
  SystemKey: "System key",
  CustomerKey: "Customer key, active",
  CustomerKeyInaccessible: "Customer key inaccessible",
};
const stateColor: Record<KeyState, string> = {
  SystemKey: "var(--muted)",
  CustomerKey: "var(--ok)",
  CustomerKeyInaccessible: "var(--bad)",
};

const time = (d: Date | null) => (d ? d.toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—");

/** The current distribution of states as one stacked bar: what a table of counts says less quickly. */
function StateBar({ counts }: { counts: Record<KeyState, number> }) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
  let x = 0;
  return (
    <svg
      role="img"
      aria-label={Object.entries(counts)
        .map(([s, n]) => `${stateLabels[s as KeyState]}: ${n}`)
        .join(", ")}
      viewBox="0 0 100 6"
      width="100%"
      height="18"
      preserveAspectRatio="none"
    >
      {(Object.keys(counts) as KeyState[]).map((s) => {
        const w = (counts[s] / total) * 100;
        const rect = <rect key={s} x={x} y={0} width={w} height={6} fill={stateColor[s]} />;
        x += w;
        return rect;
      })}
    </svg>
  );
}

export default async function DashboardPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const principal = await currentPrincipal();
  if (!principal) {
    return (
      <>
        <h1>Key status dashboard</h1>
        <p className="muted">
          <a href="/auth/sign-in?returnTo=/dashboard">Sign in</a> to see the key state of the accounts you may read.
        </p>
      </>
    );
  }
  const params = DashboardParams.parse(await searchParams);
  const state = params.state;
  const cursor: DashboardCursor | undefined = params.after
    ? { direction: "after", at: params.after }
    : params.before
      ? { direction: "before", at: params.before }
      : params.page === "last"
        ? { direction: "before", at: null }
        : undefined;
  const { readable } = await accessOf(principal);
  const now = new Date();
  const dayAgo = new Date(now.getTime() - 24 * 3_600_000);
  const [{ accounts, total, counts, next, previous }, transitions, lastDay, checksLastDay] = await Promise.all([
    dashboardPage({ subscriptionIds: readable, state, cursor, pageSize: PAGE_SIZE }),
    recentTransitions({ subscriptionIds: readable, take: 20 }),
    transitionsSince({ subscriptionIds: readable, since: dayAgo }),
    checkCountsSince({ subscriptionIds: readable, since: dayAgo }),
  ]);
  // A filter link starts at its first page; a page link keeps the filter.
  const link = (changes: { state?: KeyStateFilter; after?: DashboardKey; before?: DashboardKey; last?: boolean }) => {
    const q = new URLSearchParams();
    const s = "state" in changes ? changes.state : state;
    if (s) q.set("state", s);
    if (changes.after) q.set("after", dashboardPositionParam(changes.after));
    if (changes.before) q.set("before", dashboardPositionParam(changes.before));
    if (changes.last) q.set("page", "last");
    return `/dashboard${q.size ? `?${q}` : ""}`;
  };

  return (
    <>
      <h1>Key status dashboard</h1>
      <AutoRefresh seconds={5} />
      <section aria-labelledby="states-h" className="card">
        <h2 id="states-h">Accounts by key state</h2>
        <StateBar counts={counts} />
        <nav aria-label="Filter by state" className="site-nav">
          <ul>
            <li>
              <Link href={link({ state: undefined })} aria-current={!state ? "page" : undefined}>
                All ({counts.SystemKey + counts.CustomerKey + counts.CustomerKeyInaccessible})
              </Link>
            </li>
            {(Object.keys(stateLabels) as KeyState[]).map((s) => (
              <li key={s}>
                <Link
                  href={link({ state: s })}
                  aria-current={state === s ? "page" : undefined}
                  data-testid={`filter-${s}`}
                >
                  {stateLabels[s]} ({counts[s]})
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </section>

      <section aria-labelledby="accounts-h">
        <h2 id="accounts-h">Accounts</h2>
        <TableScroll label="Accounts and their keys">
          <table data-testid="dashboard-table">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">State</th>
                <th scope="col">Key</th>
                <th scope="col">Checks</th>
                <th scope="col">Blocked operations</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => {
                const s = keyStateOf(a);
                const blocked = blockedOperations(a);
                return (
                  <tr key={a.id} data-account={a.name} data-state={s}>
                    <td>
                      <Link href={`/accounts/${a.subscriptionId}/${a.resourceGroup}/${a.name}/encryption`}>
                        {a.name}
                      </Link>
                    </td>
                    <td>
                      <KeyStateBadge account={a} checkNow={false} />
                    </td>
                    <td>
                      {a.encryptionType === "CustomerKey" ? <code>{a.keyIdentifier}</code> : "System key"}
                      <div className="muted">
                        current:{" "}
                        <code data-testid="current-version">{a.accountKey?.wrappedBy.split("/").pop() ?? "—"}</code>
                      </div>
                    </td>
                    <td>
                      {a.encryptionType === "CustomerKey" ? (
                        <>
                          <div>last success: {time(a.lastSuccessAt)}</div>
                          <div data-testid="last-failure">
                            last failure:{" "}
                            {a.lastFailureAt ? (
                              <>
                                {time(a.lastFailureAt)}
                                {a.lastFailureReason && (
                                  <>
                                    {" "}
                                    (<code>{a.lastFailureReason}</code>)
                                  </>
                                )}
                              </>
                            ) : (
                              "—"
                            )}
                          </div>
                          <div>next: {time(a.nextCheckAt)}</div>
                          <CheckNowButton account={a} />
                        </>
                      ) : (
                        "—"
                      )}
                    </td>
                    <td>
                      {blocked.length ? (
                        <details>
                          <summary>{blocked.length} blocked</summary>
                          <ul
                            data-testid="blocked-operations"
                            style={{ overflowWrap: "anywhere", paddingLeft: "1.2rem" }}
                          >
                            {blocked.map((b) => (
                              <li key={b.operation}>{b.label}</li>
                            ))}
                          </ul>
                          <p className="muted" style={{ overflowWrap: "anywhere" }} data-testid="blocked-why">
                            Why: the customer key is inaccessible (see State). Only these still work:{" "}
                            {allowedOperations(a)
                              .map((o) => o.label.toLowerCase())
                              .join(", ")}
                            .
                          </p>
                        </details>
                      ) : (
                        "none"
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
        <p className="muted">
          {accounts.length === 0
            ? "No accounts."
            : `Showing ${accounts.length} of ${total}: ${accounts[0]!.name} to ${accounts.at(-1)!.name}.`}{" "}
          {previous && (
            <>
              <Link href={link({})} data-testid="dashboard-first">
                First
              </Link>{" "}
              <Link href={link({ before: previous })} rel="prev" data-testid="dashboard-previous">
                Previous
              </Link>
            </>
          )}{" "}
          {next && (
            <>
              <Link href={link({ after: next })} rel="next" data-testid="dashboard-next">
                Next
              </Link>{" "}
              <Link href={link({ last: true })} data-testid="dashboard-last">
                Last
              </Link>
            </>
          )}
        </p>
      </section>

      <section aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        <TransitionsChart transitions={lastDay} now={now} />
        <ChecksChart counts={checksLastDay} now={now} />
        {transitions.length === 0 && <p className="muted">No state changes or re-wraps yet.</p>}
        <ol data-testid="timeline" className="timeline">
          {transitions.map((t) => (
            <li key={String(t.id)}>
              <time dateTime={t.at.toISOString()}>{time(t.at)}</time> <strong>{t.account.name}</strong>:{" "}
              <span data-reason={t.reason}>{describeTransition(t)}</span>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
