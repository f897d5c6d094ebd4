import "server-only";
import { nameKey } from "@/lib/accounts/names";
import { decide } from "@/lib/accounts/policy";
import { audit } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { accountKey } from "@/lib/keys/hierarchy";
import { runLoop, workerName } from "@/lib/workers/loop";
import { downloadInput, inputUrls, JobInputError, type Downloaded, type JobInputUrls } from "./job-input";
import { StoredJobOutputs, type StoredJobError } from "./jobs";
import { openSecretsOf } from "./secrets";

export type JobOutcome = { jobId: string; state: "Finished" | "Error" | "Canceled" | "Deferred"; error?: StoredJobError };

/**
 * Claims the oldest runnable job: scheduled, or left running by a worker whose lease ended.
 * Jobs of an account whose customer key is inaccessible wait, and run when the key is back.
 */
async function claimJob(owner: string, leaseMs: number): Promise<string | null> {
  const rows = await db().$queryRaw<{ id: string }[]>`
    UPDATE "Job" SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id IN (
      SELECT j.id FROM "Job" j JOIN "MediaAccount" a ON a.id = j."accountId"
      WHERE (j.state IN ('Scheduled', 'Queued') AND (j."leaseUntil" IS NULL OR j."leaseUntil" < now())
             OR j.state IN ('Processing', 'Canceling') AND j."leaseUntil" < now())
        AND NOT (a."encryptionType" = 'CustomerKey' AND a."keyStatus" = 'Inaccessible')
      ORDER BY CASE j.priority WHEN 'High' THEN 0 WHEN 'Normal' THEN 1 ELSE 2 END, j."createdAt"
      LIMIT 1
      FOR UPDATE OF j SKIP LOCKED
    )
    RETURNING id`;
  return rows[0]?.id ?? null;
}

const PROGRESS_EVERY_MS = 500;
const CANCEL_CHECK_MS = 1000;

/**
 * Runs one claimed job: opens its input URLs in memory, downloads each file into every output
 * asset. `shutdown` (the worker stopping) hands the job back, scheduled, for another worker.
 */
export async function runJob(jobId: string, owner: string, leaseMs: number, shutdown?: AbortSignal): Promise<JobOutcome> {
  const { jobs } = getConfig();
  const job = await db().job.findUniqueOrThrow({ where: { id: jobId }, select: { id: true, name: true, state: true, outputs: true, account: true } });
  const mine = { id: jobId, leaseOwner: owner };
  const canceled = async (): Promise<JobOutcome> => {
    await db().job.updateMany({ where: mine, data: { state: "Canceled", endTime: new Date(), leaseOwner: null, leaseUntil: null } });
    return { jobId, state: "Canceled" };
  };
  if (job.state === "Canceling") return canceled();
  const isCanceling = async () => (await db().job.findUnique({ where: { id: jobId }, select: { state: true } }))?.state === "Canceling";
  const finish = async (state: "Finished" | "Error", error?: StoredJobError, files: (Downloaded & { name: string })[] = []) => {
    await db().$transaction(async (tx) => {
      const names = StoredJobOutputs.parse(job.outputs).map((o) => o.assetName);
      const assets = await tx.asset.findMany({ where: { accountId: job.account.id, nameKey: { in: names.map(nameKey) } }, select: { id: true } });
      for (const asset of state === "Finished" ? assets : []) {
        for (const f of files) {
          const data = { size: BigInt(f.size), sha256: f.sha256, content: new Uint8Array(f.content) };
          await tx.assetFile.upsert({ where: { assetId_name: { assetId: asset.id, name: f.name } }, create: { assetId: asset.id, name: f.name, ...data }, update: data });
        }
      }
      await tx.job.update({ where: { id: jobId }, data: { state, ...(state === "Finished" ? { progress: 100 } : {}), error: error ? { ...error } : undefined, endTime: new Date(), leaseOwner: null, leaseUntil: null } });
      await audit({ actor: "system:jobs", action: "job.run", outcome: state === "Finished" ? "success" : "failure", subscriptionId: job.account.subscriptionId, accountId: job.account.id, detail: { job: job.name, state, ...(error ? { code: error.code } : {}), files: files.length } }, tx);
    });
    return { jobId, state, error } satisfies JobOutcome;
  };

  if (!decide(job.account, "jobs.run").allowed) return release(jobId, owner);
  let input: JobInputUrls;
  try {
    const secrets = await openSecretsOf(job.account.id, await accountKey(job.account), jobId, "jobInputUrl");
    input = JSON.parse(secrets.get(jobId)!.toString("utf8")) as JobInputUrls;
  } catch (err) {
    // Key Vault not answering definitively: the job waits for a later try, nothing is lost.
    if (err instanceof DomainError && err.code === "KeyVaultUnavailable") return release(jobId, owner);
    throw err;
  }

  await db().job.updateMany({ where: mine, data: { state: "Processing", startTime: new Date(), progress: 0 } });
  const urls = inputUrls(input);
  const files: (Downloaded & { name: string })[] = [];
  // cancelJob marks the job Canceling; the watch sees it within a second and stops the download.
  const cancel = new AbortController();
  const stopping = () => cancel.abort("shutdown");
  shutdown?.addEventListener("abort", stopping);
  const watch = setInterval(() => void isCanceling().then((yes) => yes && cancel.abort(), () => {}), CANCEL_CHECK_MS);
  let lastReport = 0;
  try {
    for (const [i, url] of urls.entries()) {
      const limits = { maxBytes: jobs.inputMaxBytes - files.reduce((n, f) => n + f.size, 0), timeoutMs: jobs.inputTimeoutMs, allowPrivateNetworks: jobs.allowPrivateNetworks };
      const downloaded = await downloadInput(url, limits, (received, total) => {
        const now = Date.now();
        if (now - lastReport < PROGRESS_EVERY_MS) return;
        lastReport = now;
        const share = total ? Math.min(1, received / total) : 0.5;
        void db().job.updateMany({ where: { ...mine, state: "Processing" }, data: { progress: Math.floor(((i + share) / urls.length) * 99), leaseUntil: new Date(now + leaseMs) } });
      }, cancel.signal);
      files.push({ ...downloaded, name: decodeURIComponent(url.pathname.split("/").pop() || `input-${i}`) });
    }
  } catch (err) {
    // Once canceled, whatever the download threw on its way out (or just before the watch saw it) is moot.
    if (!cancel.signal.aborted && !(await isCanceling())) {
      if (!(err instanceof JobInputError)) throw err;
      return finish("Error", { code: err.code, message: err.message, category: err.category, retry: err.retry });
    }
  } finally {
    clearInterval(watch);
    shutdown?.removeEventListener("abort", stopping);
  }
  if (cancel.signal.reason === "shutdown") {
    await db().job.updateMany({ where: mine, data: { state: "Scheduled", progress: 0, startTime: null, leaseOwner: null, leaseUntil: null } });
    return { jobId, state: "Deferred" };
  }
  if (cancel.signal.aborted || (await isCanceling())) return canceled();
  return finish("Finished", undefined, files);
}

/** Gives a job back untouched, to be tried again after a short wait. */
async function release(jobId: string, owner: string): Promise<JobOutcome> {
  await db().job.updateMany({ where: { id: jobId, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: new Date(Date.now() + 5000) } });
  return { jobId, state: "Deferred" };
}

export interface JobRunner {
  owner: string;
  runOnce(): Promise<JobOutcome | null>;
  stop(): Promise<void>;
}

/**
 * A job worker: with `loop`, claims and runs up to JOB_CONCURRENCY jobs at a time until stopped;
 * stopping hands running jobs back, scheduled, for the next worker.
 */
export function startJobRunner(options: { loop: boolean; onOutcome?: (o: JobOutcome) => void } = { loop: true }): JobRunner {
  const owner = workerName();
  const { jobs } = getConfig();
  // Longer than a full download, renewed with each progress report.
  const leaseMs = jobs.inputTimeoutMs + 60_000;
  const shutdown = new AbortController();
  const running = new Set<Promise<JobOutcome>>();

  async function run(id: string): Promise<JobOutcome> {
    const outcome = await runJob(id, owner, leaseMs, shutdown.signal).catch(async (err: Error) => {
      console.error(`[jobs] job ${id} failed:`, err.message);
      return release(id, owner);
    });
    options.onOutcome?.(outcome);
    return outcome;
  }

  async function runOnce(): Promise<JobOutcome | null> {
    const id = await claimJob(owner, leaseMs);
    return id ? run(id) : null;
  }

  const loop = options.loop
    ? runLoop("jobs", async () => {
        if (running.size >= jobs.concurrency) return { more: false, waitMs: 100 };
        const id = await claimJob(owner, leaseMs);
        if (!id) return { more: false, waitMs: jobs.pollIntervalMs };
        const job = run(id).finally(() => running.delete(job));
        running.add(job);
        return { more: running.size < jobs.concurrency, waitMs: 100 };
      })
    : null;

  return {
    owner,
    runOnce,
    async stop() {
      shutdown.abort();
      await loop?.stop();
      await Promise.all(running);
    },
  };
}
