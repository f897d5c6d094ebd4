import "server-only";
import { db } from "@/lib/db/client";
import type { JobState, Prisma } from "@/lib/db/generated/client";
import type { StoredJobError } from "./jobs";

/**
 * A job's state machine, one function per transition (the worker's own ones need its lease):
 *
 * | transition | from                                                                  | to                                                  |
 * |------------|-----------------------------------------------------------------------|-----------------------------------------------------|
 * | claim      | Scheduled/Queued, not waiting; Processing/Canceling whose lease ended | same state, leased, one attempt more                |
 * | start      | leased, not ended or Canceling (Processing: its dead worker's job)    | Processing, progress 0                              |
 * | progress   | Processing, leased                                                    | Processing, progress set, lease renewed             |
 * | finish     | leased, not ended                                                     | Finished, Error or Canceled; no lease               |
 * | cancel     | Scheduled/Queued, not leased                                          | Canceled                                            |
 * | cancel     | Scheduled/Queued, leased (claimed, not yet started); Processing       | Canceling, for its worker to end Canceled           |
 * | requeue    | leased, not ended or Canceling                                        | Scheduled, progress 0; no lease, attempt given back |
 * | retry      | leased, not ended or Canceling                                        | Scheduled, progress 0, waiting `waitMs`             |
 * | release    | leased, not ended                                                     | same state, waiting `waitMs`; attempt given back    |
 *
 * A job canceled between its claim and its start is Canceling, like a running one: its worker's
 * start does not take, and the worker (or, once the lease ends, the next claim) ends it Canceled.
 * "Ended" is Finished, Error or Canceled: no transition of a worker leaves an ended job.
 *
 * "Waiting" is `leaseUntil` without an owner: claim takes the job only once that time has passed.
 */
export interface Lease {
  jobId: string;
  owner: string;
}

export interface Claimed {
  id: string;
  /** Counting this claim. */
  attempts: number;
}

const held = ({ jobId, owner }: Lease) => ({ id: jobId, leaseOwner: owner });
const ENDED: JobState[] = ["Finished", "Error", "Canceled"];
const ENDED_OR_CANCELING: JobState[] = [...ENDED, "Canceling"];
const notEnded = { notIn: ENDED };
const neitherEndedNorCanceling = { notIn: ENDED_OR_CANCELING };
const scheduledAgain = { state: "Scheduled", progress: 0, startTime: null, leaseOwner: null } as const;

/**
 * Claims the oldest runnable job: scheduled, or left running by a worker whose lease ended.
 * Jobs of an account whose customer key is inaccessible wait, and run when the key is back.
 * The claim counts as an attempt at once, so that a worker dying mid-download still uses one up.
 */
export async function claim({ owner, leaseMs }: { owner: string; leaseMs: number }): Promise<Claimed | null> {
  const rows = await db().$queryRaw<Claimed[]>`
    UPDATE "Job" SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000}), attempts = attempts + 1
    WHERE id IN (
      SELECT j.id FROM "Job" j JOIN "MediaAccount" a ON a.id = j."accountId"
      WHERE (j.state IN ('Scheduled', 'Queued') AND (j."leaseUntil" IS NULL OR j."leaseUntil" < now())
             OR j.state IN ('Processing', 'Canceling') AND j."leaseUntil" < now())
        AND NOT (a."encryptionType" = 'CustomerKey' AND a."keyStatus" = 'Inaccessible')
      ORDER BY CASE j.priority WHEN 'High' THEN 0 WHEN 'Normal' THEN 1 ELSE 2 END, j."createdAt"
      LIMIT 1
      FOR UPDATE OF j SKIP LOCKED
    )
    RETURNING id, attempts`;
  return rows[0] ?? null;
}

/** Starts a claimed job; false when it did not take (the job was canceled since its claim, or the lease is gone). */
export async function start(lease: Lease): Promise<boolean> {
  const { count } = await db().job.updateMany({
    where: { ...held(lease), state: neitherEndedNorCanceling },
    data: { state: "Processing", startTime: new Date(), progress: 0 },
  });
  return count === 1;
}

/** Reports progress (0-99) of a running job and renews its lease; a no-op once it is Canceling. */
export async function progress(lease: Lease & { progress: number; leaseMs: number }): Promise<void> {
  await db().job.updateMany({
    where: { ...held(lease), state: "Processing" },
    data: { progress: lease.progress, leaseUntil: new Date(Date.now() + lease.leaseMs) },
  });
}

/** A job's state, or null once it is gone. */
export async function stateOf(jobId: string): Promise<JobState | null> {
  return (await db().job.findUnique({ where: { id: jobId }, select: { state: true } }))?.state ?? null;
}

/** What a worker needs of a job it claimed: its state, its account with the key state and key, and its outputs with their transform's. */
export async function claimedJob(jobId: string) {
  return db().job.findUniqueOrThrow({
    where: { id: jobId },
    select: { state: true, account: true, input: true, outputs: true, transform: { select: { outputs: true } } },
  });
}

/** What ending a job records, read inside its transaction: its name, output assets and account. */
export async function endingJob(jobId: string, tx: Prisma.TransactionClient) {
  return tx.job.findUnique({
    where: { id: jobId },
    select: { name: true, outputs: true, account: { select: { id: true, subscriptionId: true } } },
  });
}

/** Ends a job; inside `tx` when given, so that its outputs commit with it. */
export async function finish(
  lease: Lease & { state: "Finished" | "Error" | "Canceled"; error?: StoredJobError },
  tx: Prisma.TransactionClient = db(),
): Promise<void> {
  const { state, error } = lease;
  await tx.job.updateMany({
    where: { ...held(lease), state: notEnded },
    data: {
      state,
      ...(state === "Finished" ? { progress: 100 } : {}),
      error: error ? { ...error } : undefined,
      endTime: new Date(),
      leaseOwner: null,
      leaseUntil: null,
    },
  });
}

/**
 * cancelJob: a job no worker holds is canceled at once; a running one, or one a worker has claimed
 * and not yet started, is marked for its worker to stop (its lease would otherwise let the worker
 * overwrite the cancel).
 */
export async function cancel(jobId: string): Promise<void> {
  await db().job.updateMany({
    where: { id: jobId, state: { in: ["Scheduled", "Queued"] }, leaseOwner: null },
    data: { state: "Canceled", endTime: new Date() },
  });
  await db().job.updateMany({
    where: {
      id: jobId,
      OR: [{ state: "Processing" }, { state: { in: ["Scheduled", "Queued"] }, leaseOwner: { not: null } }],
    },
    data: { state: "Canceling" },
  });
}

/** Hands a job back, scheduled, for the next worker (a stopping worker does); the attempt does not count; a canceling one stays for its next claim to cancel. */
export async function requeue(lease: Lease): Promise<void> {
  await db().job.updateMany({
    where: { ...held(lease), state: neitherEndedNorCanceling },
    data: { ...scheduledAgain, leaseUntil: null, attempts: { decrement: 1 } },
  });
}

/** Schedules a job whose attempt failed again, to be claimed after `waitMs` (the backoff); a canceling one stays for its next claim to cancel. */
export async function retry(lease: Lease & { waitMs: number }): Promise<void> {
  await db().job.updateMany({
    where: { ...held(lease), state: neitherEndedNorCanceling },
    data: { ...scheduledAgain, leaseUntil: new Date(Date.now() + lease.waitMs) },
  });
}

/** Gives a job back untouched, to be claimed again after `waitMs`; the attempt does not count. */
export async function release(lease: Lease & { waitMs: number }): Promise<void> {
  await db().job.updateMany({
    where: { ...held(lease), state: notEnded },
    data: { leaseOwner: null, leaseUntil: new Date(Date.now() + lease.waitMs), attempts: { decrement: 1 } },
  });
}

/** Jobs waiting or running, by state: the queue depth an operator scrapes (lib/observability/metrics.ts). */
export async function queueDepth(): Promise<Record<"Scheduled" | "Queued" | "Processing", number>> {
  const rows = await db().job.groupBy({
    by: ["state"],
    where: { state: { in: ["Scheduled", "Queued", "Processing"] } },
    _count: { _all: true },
  });
  const depth = { Scheduled: 0, Queued: 0, Processing: 0 };
  for (const row of rows) depth[row.state as keyof typeof depth] = row._count._all;
  return depth;
}
