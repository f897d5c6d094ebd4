import "server-only";
import pg from "pg";
import { getConfig } from "@/lib/config";
import { db } from "./client";

/**
 * One state, every process: what a process caches of an account (its account key, and key
 * delivery's copy of its state, locators, policies and sealed keys) is dropped the moment another
 * process changes the account, not when a TTL runs out.
 *
 * A trigger on the tables that hold that state (migration `account_changes`) bumps the account's
 * row in "AccountChange" and NOTIFYs `byok_account_changed` with the account id, in the
 * transaction of the change. Each process has one connection of its own that:
 * - LISTENs, and drops an account on its notification (milliseconds after the commit);
 * - polls "AccountChange" every ACCOUNT_CHANGE_POLL_MS, the fallback that does not depend on a
 *   notification arriving (a dropped connection, a proxy that does not pass them, PGlite): a row
 *   whose sequence number it has not seen drops that account.
 * Caches may serve from memory only while `fresh()`: a poll succeeded within the staleness bound.
 * Past it (the database does not answer, the process stalled) they go to the database, so a change
 * is never missed for longer than the bound, whatever became of the notifications.
 *
 * The embedded PGlite is one backend shared by every connection: a NOTIFY is written to the
 * connection that committed, never to the listeners, so there the poll alone carries changes
 * (measured by bench/propagation.bench.ts and held by lib/media/key-delivery-propagation.test.ts).
 */

/**
 * A change of one account, or (accountId null) of any: the feed may have missed some. `revoked`:
 * the account is no longer usable (inaccessible, or deleted), so its unwrapped key must go too.
 */
export interface AccountChange {
  accountId: string | null;
  revoked: boolean;
}
export type AccountChangeListener = (change: AccountChange) => void;

const CHANNEL = "byok_account_changed";
/** Transactions that commit up to this long after their trigger ran are still seen by the poll. */
const LOOKBACK_SECONDS = 30;
/**
 * A row is kept this long after its last change (the worker prunes older ones): every live feed
 * has polled it many times over by then. A feed whose last poll is older than that (a process
 * that stalled) may have missed pruned rows, and drops everything it caches instead.
 */
export const ACCOUNT_CHANGE_RETENTION_MS = 10 * 60_000;

export interface AccountChangeFeed {
  /** True while a poll has confirmed, within the staleness bound, that nothing was missed. */
  fresh(): boolean;
  /** Resolves once the feed is fresh (its first poll), or after `timeoutMs`. */
  ready(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
  /** What the feed has done, for benches and tests. */
  readonly stats: { notifications: number; polls: number; pollChanges: number; failures: number };
}

const listeners = new Set<AccountChangeListener>();

/** Registers a cache to drop an account (or everything) when it changes; returns the unsubscribe. */
export function onAccountChange(listener: AccountChangeListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Tells this process's caches that an account changed (or, with null, that anything may have). */
export function accountChanged(change: AccountChange): void {
  for (const listener of listeners) listener(change);
}

export interface FeedOptions {
  url: string;
  pollMs: number;
  /** Listen for notifications; false leaves the poll alone (tests of the fallback). */
  listen?: boolean;
}

export function startAccountChangeFeed({ url, pollMs, listen = true }: FeedOptions): AccountChangeFeed {
  const staleAfterMs = Math.max(1000, 4 * pollMs);
  const stats = { notifications: 0, polls: 0, pollChanges: 0, failures: 0 };
  /** Sequence numbers seen per account, for the rows inside the lookback window. */
  const seen = new Map<string, string>();
  let client: pg.Client | null = null;
  let freshUntil = 0;
  let since: Date | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let waiters: (() => void)[] = [];

  async function connect(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url, application_name: "byok-account-changes" });
    c.on("error", () => undefined); // reported through the failing poll, which reconnects
    c.on("notification", (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      stats.notifications++;
      const [accountId, flag] = n.payload.split(" ");
      accountChanged({ accountId: accountId!, revoked: flag === "revoked" });
    });
    await c.connect();
    if (listen) await c.query(`LISTEN ${CHANNEL}`);
    return c;
  }

  async function poll(): Promise<void> {
    const started = Date.now();
    if (!client) {
      const connected = await connect();
      if (stopped) return void (await connected.end());
      client = connected;
    }
    const { rows } = await client.query<{ now: Date; changes: { a: string; s: string; u: boolean | null }[] | null }>(
      `SELECT clock_timestamp() AS now,
              (SELECT json_agg(json_build_object('a', "accountId", 's', seq::text, 'u', usable)) FROM "AccountChange"
                WHERE $1::timestamptz IS NULL OR "changedAt" > $1::timestamptz - make_interval(secs => ${LOOKBACK_SECONDS})) AS changes`,
      [since],
    );
    const first = since === null;
    const now = rows[0]!.now;
    if (since && now.getTime() - since.getTime() > ACCOUNT_CHANGE_RETENTION_MS - LOOKBACK_SECONDS * 1000)
      accountChanged({ accountId: null, revoked: true });
    const inWindow = new Set<string>();
    for (const { a, s, u } of rows[0]!.changes ?? []) {
      inWindow.add(a);
      if (seen.get(a) === s) continue;
      seen.set(a, s);
      if (first) continue; // nothing was cached before the first poll: caches wait for fresh()
      stats.pollChanges++;
      accountChanged({ accountId: a, revoked: u === false });
    }
    if (!first) for (const a of seen.keys()) if (!inWindow.has(a)) seen.delete(a);
    since = now;
    stats.polls++;
    freshUntil = started + staleAfterMs;
    for (const wake of waiters.splice(0)) wake();
  }

  async function loop(): Promise<void> {
    try {
      await poll();
    } catch {
      stats.failures++;
      // A new connection may have missed notifications: everything cached is suspect.
      const broken = client;
      client = null;
      await broken?.end().catch(() => undefined);
      accountChanged({ accountId: null, revoked: true });
    }
    if (!stopped) timer = setTimeout(() => void loop(), pollMs);
    timer?.unref();
  }
  void loop();

  return {
    stats,
    fresh: () => Date.now() < freshUntil,
    ready(timeoutMs = 10_000) {
      if (Date.now() < freshUntil) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        waiters.push(() => {
          clearTimeout(t);
          resolve(true);
        });
      });
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      freshUntil = 0;
      waiters = [];
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}

/** Deletes the rows of accounts that have not changed for `olderThanMs`; returns how many (the worker calls it). */
export async function pruneAccountChanges(olderThanMs = ACCOUNT_CHANGE_RETENTION_MS): Promise<number> {
  return db()
    .$executeRaw`DELETE FROM "AccountChange" WHERE "changedAt" < clock_timestamp() - make_interval(secs => ${olderThanMs / 1000})`;
}

// One feed per process, started by the first cache that needs it.
const holder = globalThis as unknown as { byokAccountChanges?: AccountChangeFeed };

/** The process's feed, for the configured database. */
export function accountChangeFeed(): AccountChangeFeed {
  const config = getConfig();
  holder.byokAccountChanges ??= startAccountChangeFeed({
    url: config.database.url,
    pollMs: config.accountChangePollMs,
    listen: config.accountChangeNotifications,
  });
  return holder.byokAccountChanges;
}

/** Stops the process's feed, if one was started (tests, and shutdown). */
export async function stopAccountChangeFeed(): Promise<void> {
  const feed = holder.byokAccountChanges;
  holder.byokAccountChanges = undefined;
  await feed?.stop();
}
