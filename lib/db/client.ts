import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { getConfig } from "@/lib/config";
import { stopAccountChangeFeed } from "./account-changes";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

const counters = { queries: 0, rows: 0 };

/** The text of the last statements sent (no parameters, so no values), for tests that ask what a request read. */
const RECENT_STATEMENTS = 256;
const recent: string[] = [];

/** Statements sent by this process's database clients so far (benches and tests compare two readings). */
export function databaseQueryCount(): number {
  return counters.queries;
}

/**
 * The statements sent since `databaseQueryCount()` returned `since` (only the last 256 are kept):
 * their text, without parameters.
 */
export function databaseStatementsSince(since: number): string[] {
  const count = counters.queries - since;
  if (count > recent.length) throw new Error(`only the last ${recent.length} statements are kept, not ${count}`);
  return recent.slice(recent.length - count);
}

/** Rows the database returned to this process's clients so far: what a bounded read is measured by. */
export function databaseRowsRead(): number {
  return counters.rows;
}

const countRows = (result: unknown) => {
  const rows = (result as { rows?: unknown } | null)?.rows;
  if (Array.isArray(rows)) counters.rows += rows.length;
};

const localWriteListeners = new Set<() => void>();

/**
 * Registers a cache of database rows to be dropped after every write of this process to the tables
 * it caches: a process reads its own writes at once, before their change notification comes back.
 */
export function onLocalWrite(listener: () => void): () => void {
  localWriteListeners.add(listener);
  return () => localWriteListeners.delete(listener);
}

/** A write to a table whose rows processes cache (the tables of the trigger byok_account_changed). */
const CACHED_WRITE =
  /^\s*(?:INSERT|UPDATE|DELETE)\b[\s\S]*?"(?:MediaAccount|AccountKey|AccountSecret|StreamingLocator|ContentKeyPolicy)"/i;

/**
 * A pg client that counts its statements and, after a write to a cached table (and again after the
 * COMMIT of a transaction that wrote one), tells onLocalWrite's listeners.
 */
class CountingClient extends pg.Client {
  private wroteInTransaction = false;

  // pg's query() has many overloads; every one passes the statement first.
  override query(...args: unknown[]): never {
    counters.queries++;
    const first = args[0];
    const text = typeof first === "string" ? first : ((first as { text?: string } | null)?.text ?? "");
    recent.push(text);
    if (recent.length > RECENT_STATEMENTS) recent.shift();
    const writes = CACHED_WRITE.test(text);
    const commits = /^\s*COMMIT\b/i.test(text);
    if (writes) this.wroteInTransaction = true;
    const after = () => {
      if (writes || (commits && this.wroteInTransaction)) for (const listener of localWriteListeners) listener();
      if (commits || /^\s*ROLLBACK\b/i.test(text)) this.wroteInTransaction = false;
    };
    const index = args.findLastIndex((a) => typeof a === "function");
    if (index >= 0) {
      // The callback form (pg.Pool's own query uses it): run after the statement completes.
      const callback = args[index] as (...r: unknown[]) => void;
      args[index] = (...r: unknown[]) => {
        countRows(r[1]);
        after();
        callback(...r);
      };
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    if (index < 0 && result && typeof (result as Promise<unknown>).then === "function")
      (result as Promise<unknown>).then((r) => {
        countRows(r);
        after();
      }, after);
    return result as never;
  }
}

/** A client for one database URL; callers that create one own its `$disconnect()`. */
export function createDb(url: string, poolSize = 5): Db {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: url, max: poolSize, Client: CountingClient }),
  });
}

// One client per process, kept on globalThis so that Next's dev reloads do not open new pools.
const holder = globalThis as unknown as { byokDb?: Db };

/** The process's database client, for the configured DATABASE_URL (or the embedded PGlite). */
export function db(): Db {
  holder.byokDb ??= createDb(getConfig().database.url);
  return holder.byokDb;
}

/** Closes the process's client and its account change feed, if they were opened (tests, and shutdown). */
export async function disconnectDb(): Promise<void> {
  await stopAccountChangeFeed();
  await holder.byokDb?.$disconnect();
  holder.byokDb = undefined;
}
