import "server-only";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { Prisma } from "@/lib/db/generated/client";
import { logger } from "@/lib/observability/logger";
import type { CheckResult } from "./check";

/**
 * Checks per subscription, hour and result, for the dashboard's chart. At 100,000 checks a minute
 * across workers, a write per check on a shared counter row would serialize the workers on that
 * row; instead each process counts its checks in memory and adds them to "CheckCount" every
 * CHECK_COUNTS_FLUSH_SECONDS in one statement, one row per (subscription, hour, result) it saw.
 * A process that dies loses at most one interval's counts: the chart is a picture, not an audit.
 */

/** What the chart tells apart: a check's result, with "active" and "recovered" both ok. */
export type CheckCountResult = "ok" | "failed" | "unreachable" | "error";
export const checkCountResults: readonly CheckCountResult[] = ["ok", "failed", "unreachable", "error"];

const resultOf: Record<CheckResult, CheckCountResult | null> = {
  active: "ok",
  recovered: "ok",
  inaccessible: "failed",
  unreachable: "unreachable",
  error: "error",
  // Not a check: the account was not this worker's, or it changed meanwhile.
  skipped: null,
};

const HOUR_MS = 3_600_000;
/** Rows older than this go (the worker prunes): the dashboard shows the last 24 hours. */
export const CHECK_COUNT_RETENTION_MS = 7 * 24 * HOUR_MS;
/** Rows per statement of a flush: a process that saw many subscriptions writes a few statements. */
const ROWS_PER_STATEMENT = 1000;

interface Counts {
  /** `${subscriptionId} ${hour ms} ${result}` → checks not yet written. */
  pending: Map<string, number>;
  timer: NodeJS.Timeout | null;
  flushing: Promise<number> | null;
  /** The flush of this module instance, for the portal's drain (Next bundles its own copy of lib/). */
  flush?: () => Promise<number>;
}

// One tally per process: the portal's server code may be bundled more than once, and its drain
// (scripts/portal.ts) reaches the tally through this global.
const holder = globalThis as unknown as { byokCheckCounts?: Counts };
const counts: Counts = (holder.byokCheckCounts ??= { pending: new Map(), timer: null, flushing: null });

/** Counts one check of an account of `subscriptionId`, in memory; written by the next flush. */
export function countCheck(subscriptionId: string, result: CheckResult, at: Date = new Date()): void {
  const kind = resultOf[result];
  if (!kind) return;
  const hour = Math.floor(at.getTime() / HOUR_MS) * HOUR_MS;
  const key = `${subscriptionId} ${hour} ${kind}`;
  counts.pending.set(key, (counts.pending.get(key) ?? 0) + 1);
  if (!counts.timer) {
    // A failed flush logged and kept its counts: the next one tries again.
    counts.timer = setInterval(() => flushCheckCounts().catch(() => undefined), getConfig().checkCountsFlushMs);
    counts.timer.unref();
  }
}

/** Checks counted and not written yet (tests). */
export function pendingCheckCounts(): number {
  let n = 0;
  for (const v of counts.pending.values()) n += v;
  return n;
}

/**
 * Adds the counted checks to their rows (an upsert that adds), and empties the tally; returns how
 * many rows it wrote. When the database refuses, the counts go back into the tally for the next flush.
 */
export function flushCheckCounts(): Promise<number> {
  // One flush at a time: a second caller (SIGTERM during the timer's flush) waits for it, then flushes what came since.
  const run = async (): Promise<number> => {
    if (counts.flushing) await counts.flushing.catch(() => undefined);
    if (!counts.pending.size) return 0;
    const taken = counts.pending;
    counts.pending = new Map();
    const rows = [...taken].map(([key, n]) => {
      const [subscriptionId, hour, result] = key.split(" ") as [string, string, string];
      return Prisma.sql`(${subscriptionId}::uuid, ${new Date(Number(hour))}, ${result}, ${n})`;
    });
    let written = 0;
    try {
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        written += await db().$executeRaw`
          INSERT INTO "CheckCount" ("subscriptionId", "hour", "result", "count")
          VALUES ${Prisma.join(rows.slice(i, i + ROWS_PER_STATEMENT))}
          ON CONFLICT ("subscriptionId", "hour", "result") DO UPDATE SET "count" = "CheckCount"."count" + EXCLUDED."count"`;
      }
    } catch (err) {
      // The statements that failed wrote nothing (each is one statement); put back what is not written.
      const unwritten = [...taken].slice(written);
      for (const [key, n] of unwritten) counts.pending.set(key, (counts.pending.get(key) ?? 0) + n);
      logger("monitor").warn({ err, rows: unwritten.length }, "check counts not written; kept for the next flush");
      throw err;
    }
    return written;
  };
  const flushing = run();
  counts.flushing = flushing;
  void flushing
    .finally(() => {
      if (counts.flushing === flushing) counts.flushing = null;
    })
    .catch(() => undefined);
  return flushing;
}
counts.flush = () => flushCheckCounts();

/** Stops the flush timer and writes what is left (a process stopping). */
export async function stopCheckCounts(): Promise<void> {
  if (counts.timer) clearInterval(counts.timer);
  counts.timer = null;
  await flushCheckCounts();
}

/** Deletes the rows older than `olderThanMs`; returns how many (the worker calls it). */
export async function pruneCheckCounts(olderThanMs = CHECK_COUNT_RETENTION_MS): Promise<number> {
  return db().$executeRaw`DELETE FROM "CheckCount" WHERE "hour" < ${new Date(Date.now() - olderThanMs)}`;
}

/** Checks per hour and result since `since`, over the caller's subscriptions (the dashboard's chart). */
export async function checkCountsSince({
  subscriptionIds,
  since,
}: {
  subscriptionIds: string[];
  since: Date;
}): Promise<{ hour: Date; result: CheckCountResult; count: number }[]> {
  if (!subscriptionIds.length) return [];
  const rows = await db().checkCount.groupBy({
    by: ["hour", "result"],
    where: {
      subscriptionId: { in: subscriptionIds },
      hour: { gte: new Date(Math.floor(since.getTime() / HOUR_MS) * HOUR_MS) },
    },
    _sum: { count: true },
    orderBy: { hour: "asc" },
  });
  return rows.map((r) => ({ hour: r.hour, result: r.result as CheckCountResult, count: r._sum.count ?? 0 }));
}
