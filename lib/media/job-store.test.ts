/**
 * The job state machine as one table against a real database: for each starting row and
 * transition, the row it leaves behind (and, for claim, whether the job was claimed).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { seedDemo } from "@/lib/db/seed";
import type { JobState } from "@/lib/db/generated/client";
import { demoResourceGroup, demoSubscriptions } from "@/lib/demo/directory";
import * as store from "./job-store";

const ME = "worker-1";
const OTHER = "worker-2";
const LEASE_MS = 60_000;
const past = () => new Date(Date.now() - 60_000);
const future = () => new Date(Date.now() + 60_000);

let database: TestDatabase;
let accountId: string;
let transformId: string;

before(async () => {
  database = await createTestDatabase({ forApp: true });
  await seedDemo(database.db);
  const account = await database.db.mediaAccount.findFirstOrThrow({
    where: { subscriptionId: demoSubscriptions.contosoMedia.id, resourceGroup: demoResourceGroup },
  });
  accountId = account.id;
  transformId = (
    await database.db.transform.create({ data: { accountId, name: "copy", nameKey: "copy", outputs: [{}] } })
  ).id;
});
after(async () => database?.drop());

interface Given {
  state: JobState;
  leaseOwner?: string;
  leaseUntil?: Date;
  progress?: number;
  attempts?: number;
}
interface Expected {
  state: JobState;
  /** Who holds the lease afterwards (null: nobody). */
  leaseOwner: string | null;
  progress?: number;
  attempts?: number;
  /** Whether the lease (or, without an owner, the wait) ends in the future. */
  waiting?: boolean;
  ended?: boolean;
  /** Whether the job ever started (has a start time). */
  started?: boolean;
  error?: string;
}

type Row = [string, Given, (jobId: string) => Promise<unknown>, Expected & { claimed?: boolean }];

const lease = (jobId: string, owner = ME) => ({ jobId, owner });
const claimed = async (jobId: string) => assert.equal((await store.claim({ owner: ME, leaseMs: LEASE_MS }))?.id, jobId);
const notClaimed = async () => assert.equal(await store.claim({ owner: ME, leaseMs: LEASE_MS }), null);
/** A job this worker claimed and has not started, canceled: what the worker's next transition leaves. */
const claimedThenCanceled: Given = { state: "Scheduled", leaseOwner: ME, leaseUntil: future(), attempts: 1 };
const canceledThen = (transition: (jobId: string) => Promise<unknown>) => async (jobId: string) => {
  await store.cancel(jobId);
  await transition(jobId);
};

const table: Row[] = [
  [
    "claim: a scheduled job, counting an attempt",
    { state: "Scheduled" },
    claimed,
    { state: "Scheduled", leaseOwner: ME, waiting: true, attempts: 1 },
  ],
  ["claim: a queued job", { state: "Queued" }, claimed, { state: "Queued", leaseOwner: ME, waiting: true }],
  [
    "claim: a released job whose wait is over",
    { state: "Scheduled", leaseUntil: past() },
    claimed,
    { state: "Scheduled", leaseOwner: ME, waiting: true },
  ],
  [
    "claim: not a released job still waiting",
    { state: "Scheduled", leaseUntil: future() },
    notClaimed,
    { state: "Scheduled", leaseOwner: null, waiting: true },
  ],
  [
    "claim: not a job to retry before its backoff ends",
    { state: "Scheduled", leaseUntil: future(), attempts: 1 },
    notClaimed,
    { state: "Scheduled", leaseOwner: null, waiting: true, attempts: 1 },
  ],
  [
    "claim: a running job whose worker's lease ended, its dead worker's attempt counted",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: past(), attempts: 1 },
    claimed,
    { state: "Processing", leaseOwner: ME, waiting: true, attempts: 2 },
  ],
  [
    "claim: a canceling job whose worker's lease ended",
    { state: "Canceling", leaseOwner: OTHER, leaseUntil: past() },
    claimed,
    { state: "Canceling", leaseOwner: ME, waiting: true },
  ],
  [
    "claim: not a running job under a live lease",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: future() },
    notClaimed,
    { state: "Processing", leaseOwner: OTHER, waiting: true },
  ],
  ["claim: not a finished job", { state: "Finished" }, notClaimed, { state: "Finished", leaseOwner: null }],
  ["claim: not a failed job", { state: "Error" }, notClaimed, { state: "Error", leaseOwner: null }],
  ["claim: not a canceled job", { state: "Canceled" }, notClaimed, { state: "Canceled", leaseOwner: null }],
  [
    "start: a claimed job",
    { state: "Scheduled", leaseOwner: ME, leaseUntil: future() },
    (id) => store.start(lease(id)),
    { state: "Processing", leaseOwner: ME, progress: 0 },
  ],
  [
    "start: not another worker's job",
    { state: "Scheduled", leaseOwner: OTHER, leaseUntil: future() },
    (id) => store.start(lease(id)),
    { state: "Scheduled", leaseOwner: OTHER },
  ],
  [
    "start: a running job claimed again after its worker died, from 0%",
    { state: "Processing", leaseOwner: ME, leaseUntil: future(), progress: 40 },
    (id) => store.start(lease(id)),
    { state: "Processing", leaseOwner: ME, progress: 0, started: true },
  ],
  [
    "start: not a canceled job, even under its lease",
    { state: "Canceled", leaseOwner: ME, leaseUntil: future() },
    (id) => store.start(lease(id)),
    { state: "Canceled", leaseOwner: ME, started: false },
  ],
  [
    "progress: a running job, renewing its lease",
    { state: "Processing", leaseOwner: ME, leaseUntil: past() },
    (id) => store.progress({ ...lease(id), progress: 40, leaseMs: LEASE_MS }),
    { state: "Processing", leaseOwner: ME, progress: 40, waiting: true },
  ],
  [
    "progress: not a canceling job",
    { state: "Canceling", leaseOwner: ME, leaseUntil: past(), progress: 10 },
    (id) => store.progress({ ...lease(id), progress: 40, leaseMs: LEASE_MS }),
    { state: "Canceling", leaseOwner: ME, progress: 10, waiting: false },
  ],
  [
    "progress: not another worker's job",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: future(), progress: 10 },
    (id) => store.progress({ ...lease(id), progress: 40, leaseMs: LEASE_MS }),
    { state: "Processing", leaseOwner: OTHER, progress: 10 },
  ],
  [
    "finish: Finished, at 100%",
    { state: "Processing", leaseOwner: ME, leaseUntil: future(), progress: 50 },
    (id) => store.finish({ ...lease(id), state: "Finished" }),
    { state: "Finished", leaseOwner: null, progress: 100, ended: true },
  ],
  [
    "finish: Error, with its error",
    { state: "Processing", leaseOwner: ME, leaseUntil: future(), progress: 50 },
    (id) =>
      store.finish({
        ...lease(id),
        state: "Error",
        error: { code: "DownloadNotAccessible", message: "HTTP 403", category: "Download", retry: "DoNotRetry" },
      }),
    { state: "Error", leaseOwner: null, progress: 50, ended: true, error: "DownloadNotAccessible" },
  ],
  [
    "finish: Canceled",
    { state: "Canceling", leaseOwner: ME, leaseUntil: future() },
    (id) => store.finish({ ...lease(id), state: "Canceled" }),
    { state: "Canceled", leaseOwner: null, ended: true },
  ],
  [
    "finish: not another worker's job",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: future() },
    (id) => store.finish({ ...lease(id), state: "Finished" }),
    { state: "Processing", leaseOwner: OTHER, ended: false },
  ],
  [
    "finish: not a job that has ended",
    { state: "Canceled", leaseOwner: ME, leaseUntil: future() },
    (id) => store.finish({ ...lease(id), state: "Finished" }),
    { state: "Canceled", leaseOwner: ME, ended: false },
  ],
  [
    "cancel: a scheduled job at once",
    { state: "Scheduled" },
    (id) => store.cancel(id),
    { state: "Canceled", leaseOwner: null, ended: true },
  ],
  [
    "cancel: a queued job at once",
    { state: "Queued" },
    (id) => store.cancel(id),
    { state: "Canceled", leaseOwner: null, ended: true },
  ],
  [
    "cancel: a running job through its worker",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: future() },
    (id) => store.cancel(id),
    { state: "Canceling", leaseOwner: OTHER, ended: false },
  ],
  [
    "cancel: a claimed, not yet started job through its worker",
    claimedThenCanceled,
    (id) => store.cancel(id),
    { state: "Canceling", leaseOwner: ME, ended: false, started: false },
  ],
  [
    "cancel a claimed, not yet started job, then start: it never runs",
    claimedThenCanceled,
    canceledThen((id) => store.start(lease(id))),
    { state: "Canceling", leaseOwner: ME, ended: false, started: false },
  ],
  [
    "cancel a claimed, not yet started job, then requeue: not scheduled again",
    claimedThenCanceled,
    canceledThen((id) => store.requeue(lease(id))),
    { state: "Canceling", leaseOwner: ME, ended: false, started: false },
  ],
  [
    "cancel a claimed, not yet started job, then retry: not scheduled again",
    claimedThenCanceled,
    canceledThen((id) => store.retry({ ...lease(id), waitMs: 5000 })),
    { state: "Canceling", leaseOwner: ME, ended: false, started: false },
  ],
  [
    "cancel a claimed, not yet started job, then release: still canceling, for its next claim to end",
    claimedThenCanceled,
    canceledThen((id) => store.release({ ...lease(id), waitMs: 5000 })),
    { state: "Canceling", leaseOwner: null, waiting: true, ended: false, started: false },
  ],
  [
    "cancel a claimed, not yet started job, then finish Canceled (its worker saw the start not take): it ends Canceled",
    claimedThenCanceled,
    canceledThen((id) => store.finish({ ...lease(id), state: "Canceled" })),
    { state: "Canceled", leaseOwner: null, ended: true, started: false },
  ],
  [
    "cancel a claimed, not yet started job, then start, then finish Canceled: it never runs and ends Canceled",
    claimedThenCanceled,
    canceledThen(async (id) => {
      if (!(await store.start(lease(id)))) await store.finish({ ...lease(id), state: "Canceled" });
    }),
    { state: "Canceled", leaseOwner: null, ended: true, started: false },
  ],
  [
    "cancel: not a finished job",
    { state: "Finished" },
    (id) => store.cancel(id),
    { state: "Finished", leaseOwner: null, ended: false },
  ],
  [
    "requeue: a running job, scheduled again from 0%, its attempt given back",
    { state: "Processing", leaseOwner: ME, leaseUntil: future(), progress: 30, attempts: 2 },
    (id) => store.requeue(lease(id)),
    { state: "Scheduled", leaseOwner: null, progress: 0, waiting: false, attempts: 1 },
  ],
  [
    "requeue: not another worker's job",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: future(), progress: 30 },
    (id) => store.requeue(lease(id)),
    { state: "Processing", leaseOwner: OTHER, progress: 30 },
  ],
  [
    "retry: a failed attempt, scheduled again after its backoff, the attempt counted",
    { state: "Processing", leaseOwner: ME, leaseUntil: future(), progress: 30, attempts: 2 },
    (id) => store.retry({ ...lease(id), waitMs: 5000 }),
    { state: "Scheduled", leaseOwner: null, progress: 0, waiting: true, attempts: 2 },
  ],
  [
    "retry: not a canceling job (its next claim cancels it)",
    { state: "Canceling", leaseOwner: ME, leaseUntil: future(), attempts: 2 },
    (id) => store.retry({ ...lease(id), waitMs: 5000 }),
    { state: "Canceling", leaseOwner: ME, attempts: 2 },
  ],
  [
    "retry: not a job that has ended",
    { state: "Finished", leaseOwner: ME, leaseUntil: future(), attempts: 2 },
    (id) => store.retry({ ...lease(id), waitMs: 5000 }),
    { state: "Finished", leaseOwner: ME, attempts: 2 },
  ],
  [
    "requeue: not a job that has ended",
    { state: "Canceled", leaseOwner: ME, leaseUntil: future(), attempts: 2 },
    (id) => store.requeue(lease(id)),
    { state: "Canceled", leaseOwner: ME, attempts: 2 },
  ],
  [
    "requeue: not a canceling job (its next claim cancels it)",
    { state: "Canceling", leaseOwner: ME, leaseUntil: future(), attempts: 2 },
    (id) => store.requeue(lease(id)),
    { state: "Canceling", leaseOwner: ME, attempts: 2 },
  ],
  [
    "retry: not another worker's job",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: future(), attempts: 2 },
    (id) => store.retry({ ...lease(id), waitMs: 5000 }),
    { state: "Processing", leaseOwner: OTHER, attempts: 2 },
  ],
  [
    "release: a claimed job, untouched, after a wait, its attempt given back",
    { state: "Scheduled", leaseOwner: ME, leaseUntil: future(), attempts: 1 },
    (id) => store.release({ ...lease(id), waitMs: 5000 }),
    { state: "Scheduled", leaseOwner: null, waiting: true, attempts: 0 },
  ],
  [
    "release: not a job that has ended",
    { state: "Error", leaseOwner: ME, leaseUntil: future(), attempts: 1 },
    (id) => store.release({ ...lease(id), waitMs: 5000 }),
    { state: "Error", leaseOwner: ME, attempts: 1 },
  ],
  [
    "release: not another worker's job",
    { state: "Processing", leaseOwner: OTHER, leaseUntil: future() },
    (id) => store.release({ ...lease(id), waitMs: 5000 }),
    { state: "Processing", leaseOwner: OTHER, waiting: true },
  ],
];

describe("job state machine", () => {
  let n = 0;
  for (const [name, given, transition, expected] of table) {
    it(name, async () => {
      await database.db.job.deleteMany({});
      const job = await database.db.job.create({
        data: {
          accountId,
          transformId,
          name: `job${n}`,
          nameKey: `job${n++}`,
          input: { files: ["a.mp4"] },
          outputs: [],
          ...given,
        },
      });
      await transition(job.id);
      const row = await database.db.job.findUniqueOrThrow({ where: { id: job.id } });
      const actual: Expected = { state: row.state, leaseOwner: row.leaseOwner };
      if (expected.progress !== undefined) actual.progress = row.progress;
      if (expected.attempts !== undefined) actual.attempts = row.attempts;
      if (expected.waiting !== undefined) actual.waiting = row.leaseUntil !== null && row.leaseUntil > new Date();
      if (expected.ended !== undefined) actual.ended = row.endTime !== null;
      if (expected.started !== undefined) actual.started = row.startTime !== null;
      if (expected.error !== undefined) actual.error = (row.error as { code?: string } | null)?.code;
      assert.deepEqual(actual, expected);
    });
  }

  it("claim: not a job of an account whose customer key is inaccessible", async () => {
    await database.db.job.deleteMany({});
    await database.db.job.create({
      data: { accountId, transformId, name: "waits", nameKey: "waits", input: { files: ["a.mp4"] }, outputs: [] },
    });
    await database.db.mediaAccount.update({
      where: { id: accountId },
      data: { encryptionType: "CustomerKey", keyStatus: "Inaccessible" },
    });
    try {
      await notClaimed();
    } finally {
      await database.db.mediaAccount.update({
        where: { id: accountId },
        data: { encryptionType: "SystemKey", keyStatus: "Active" },
      });
    }
    await claimed((await database.db.job.findFirstOrThrow({ where: { name: "waits" } })).id);
  });

  it("claim: the highest priority first, then the oldest; a claimed job is not claimed twice", async () => {
    await database.db.job.deleteMany({});
    const make = (name: string, priority: string, createdAt: Date) =>
      database.db.job.create({
        data: {
          accountId,
          transformId,
          name,
          nameKey: name,
          priority,
          createdAt,
          input: { files: ["a.mp4"] },
          outputs: [],
        },
      });
    const older = await make("older", "Normal", new Date(Date.now() - 2000));
    const newer = await make("newer", "Normal", new Date(Date.now() - 1000));
    const high = await make("high", "High", new Date());
    const order = [];
    for (
      let next = await store.claim({ owner: ME, leaseMs: LEASE_MS });
      next;
      next = await store.claim({ owner: ME, leaseMs: LEASE_MS })
    )
      order.push(next.id);
    assert.deepEqual(order, [high.id, older.id, newer.id]);
  });
});
