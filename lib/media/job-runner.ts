import "server-only";
import { decide } from "@/lib/accounts/policy";
import { audit } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { accountKey } from "@/lib/keys/hierarchy";
import { runLoop, workerName } from "@/lib/workers/loop";
import {
  downloadInput,
  inputFileName,
  inputUrls,
  InvalidJobInput,
  JobInputError,
  type Downloaded,
  type JobInputUrls,
} from "./job-input";
import { EncoderFailed, NotMedia } from "./ffmpeg";
import * as store from "./job-store";
import { planOutputs, produceOutputs, type AssetWrite } from "./job-outputs";
import { readInputAsset } from "./job-input-asset";
import { StoredJobInput, type StoredJobError } from "./jobs";
import { openSecretsOf } from "./secrets";
import { writeAssetFiles } from "./store";
import { logger } from "@/lib/observability/logger";

export type JobOutcome = {
  jobId: string;
  state: "Finished" | "Error" | "Canceled" | "Deferred";
  error?: StoredJobError;
};

const PROGRESS_EVERY_MS = 500;
const CANCEL_CHECK_MS = 1000;

/** Attempts a job gets. A claim is one, even when its worker dies before it reports back. */
const MAX_JOB_ATTEMPTS = 3;
/** The wait after an attempt that failed unexpectedly, before the next: 10 s, then 40 s. */
const backoffMs = (attempt: number) => 10_000 * 4 ** (attempt - 1);
const outOfAttempts: StoredJobError = {
  code: "ServiceError",
  message: `The job failed, or its worker stopped, on each of its ${MAX_JOB_ATTEMPTS} attempts; it is not tried again.`,
  category: "Service",
  retry: "DoNotRetry",
};
const storedError = (err: JobInputError): StoredJobError => ({
  code: err.code,
  message: err.message,
  category: err.category,
  retry: err.retry,
});

type InputFile = Downloaded & { name: string };

/** Content errors of an encode, in Azure's JobErrorCode vocabulary. */
const contentError = (code: "ContentUnsupported" | "ContentMalformed", message: string): StoredJobError => ({
  code,
  message,
  category: "Content",
  retry: "DoNotRetry",
});

/** The account's key became inaccessible while the job ran: it stops and waits, scheduled. */
class AccountBlocked extends Error {
  override name = "AccountBlocked";
}

/** Ends a job, with the files of its output assets when Finished, and its audit event, in one transaction. */
async function endJob(
  lease: store.Lease,
  state: "Finished" | "Error",
  error?: StoredJobError,
  writes: AssetWrite[] = [],
): Promise<JobOutcome> {
  const files = writes.reduce((n, w) => n + w.files.length, 0);
  await db().$transaction(async (tx) => {
    const job = await store.endingJob(lease.jobId, tx);
    if (!job) return;
    if (state === "Finished")
      for (const { assetNames, files } of writes)
        await writeAssetFiles({ accountId: job.account.id, assetNames, files }, tx);
    await store.finish({ ...lease, state, error }, tx);
    await audit(
      {
        actor: "system:jobs",
        action: "job.run",
        outcome: state === "Finished" ? "success" : "failure",
        subscriptionId: job.account.subscriptionId,
        accountId: job.account.id,
        detail: { job: job.name, state, ...(error ? { code: error.code } : {}), files },
      },
      tx,
    );
  });
  return { jobId: lease.jobId, state, error };
}

/**
 * Runs one claimed job: opens its input URLs in memory and downloads each file (or reads the
 * files of its input asset), then makes each
 * output asset's files with its preset (ffmpeg encodes, or a copy). `shutdown` (the worker
 * stopping) hands the job back, scheduled, for another worker; an account whose key becomes
 * inaccessible stops it at the next step (before the encode, and before each rendition), scheduled.
 * A job claimed once more than it has attempts (its worker died each time) ends in Error.
 */
export async function runJob(
  { id: jobId, attempts }: store.Claimed,
  owner: string,
  leaseMs: number,
  shutdown?: AbortSignal,
): Promise<JobOutcome> {
  const { jobs } = getConfig();
  const job = await store.claimedJob(jobId);
  const lease = { jobId, owner };
  const canceled = async (): Promise<JobOutcome> => {
    await store.finish({ ...lease, state: "Canceled" });
    return { jobId, state: "Canceled" };
  };
  if (job.state === "Canceling") return canceled();
  if (attempts > MAX_JOB_ATTEMPTS) return endJob(lease, "Error", outOfAttempts);
  const isCanceling = async () => (await store.stateOf(jobId)) === "Canceling";

  if (!decide(job.account, "jobs.run").allowed) return release(jobId, owner);
  const stored = StoredJobInput.parse(job.input);
  // An asset input is read from the account's assets; an HTTP input's URLs are opened with the account key.
  let urls: URL[] = [];
  if (!("assetName" in stored)) {
    let input: JobInputUrls;
    try {
      const secrets = await openSecretsOf(job.account.id, await accountKey(job.account), jobId, "jobInputUrl");
      input = JSON.parse(secrets.get(jobId)!.toString("utf8")) as JobInputUrls;
    } catch (err) {
      // Key Vault not answering definitively: the job waits for a later try, nothing is lost.
      if (err instanceof DomainError && err.code === "KeyVaultUnavailable") return release(jobId, owner);
      // JSON.parse quotes what it read, and that is the input URL with its SAS: never into a log.
      if (err instanceof SyntaxError) throw new Error("the job's sealed input is not the JSON of an input");
      throw err;
    }
    try {
      urls = inputUrls(input);
    } catch (err) {
      // Stored before inputs were checked this closely: it can never run, so it ends now.
      if (!(err instanceof InvalidJobInput)) throw err;
      return endJob(lease, "Error", storedError(new JobInputError("DownloadNotAccessible", err.message, "DoNotRetry")));
    }
  }
  const planned = planOutputs(job);
  if (!("groups" in planned)) return endJob(lease, "Error", planned);
  // Canceled since the claim (the Key Vault unwrap above takes a while): it never runs. (Had the
  // lease ended instead, another worker holds the job and this finish does nothing.)
  if (!(await store.start(lease))) return canceled();
  const files: InputFile[] = [];
  // cancelJob marks the job Canceling; the watch sees it within a second and stops the download
  // or kills the encoder.
  const cancel = new AbortController();
  const stopping = () => cancel.abort("shutdown");
  shutdown?.addEventListener("abort", stopping);
  const watch = setInterval(
    () =>
      void isCanceling().then(
        (yes) => yes && cancel.abort(),
        () => {},
      ),
    CANCEL_CHECK_MS,
  );
  // Downloads take the whole bar of a copy, a tenth of it before an encode.
  const downloadShare = planned.encodes ? 0.1 : 0.99;
  let lastReport = 0;
  const report = (share: number) => {
    const now = Date.now();
    if (now - lastReport < PROGRESS_EVERY_MS) return;
    lastReport = now;
    void store.progress({ ...lease, progress: Math.floor(Math.min(share, 0.99) * 100), leaseMs });
  };
  const checkpoint = async () => {
    if (!decide((await store.claimedJob(jobId)).account, "jobs.run").allowed) throw new AccountBlocked();
  };
  let writes: AssetWrite[] = [];
  try {
    if ("assetName" in stored)
      files.push(
        ...(await readInputAsset(job.account.id, stored, jobs.inputMaxBytes, (i, count) =>
          report(((i + 1) / count) * downloadShare),
        )),
      );
    for (const [i, url] of urls.entries()) {
      const limits = {
        maxBytes: jobs.inputMaxBytes - files.reduce((n, f) => n + f.size, 0),
        timeoutMs: jobs.inputTimeoutMs,
        allowPrivateNetworks: jobs.allowPrivateNetworks,
      };
      const downloaded = await downloadInput(
        url,
        limits,
        (received, total) => {
          // Without a content-length the share is unknown: only finished files count (the portal then shows an
          // indeterminate bar), rather than a made-up half.
          const share = total ? Math.min(1, received / total) : 0;
          report(((i + share) / urls.length) * downloadShare);
        },
        cancel.signal,
      );
      files.push({ ...downloaded, name: inputFileName(url, i) });
    }
    writes = await produceOutputs(files, planned, {
      signal: cancel.signal,
      checkpoint,
      onProgress: (share) => report(downloadShare + share * (0.99 - downloadShare)),
    });
  } catch (err) {
    // Once canceled, whatever the download or the encoder threw on its way out (or just before the watch saw it) is moot.
    if (!cancel.signal.aborted && !(await isCanceling())) {
      if (err instanceof AccountBlocked) {
        await store.requeue(lease);
        return { jobId, state: "Deferred" };
      }
      if (err instanceof NotMedia)
        return endJob(lease, "Error", contentError("ContentUnsupported", `The input is not media: ${err.message}.`));
      if (err instanceof EncoderFailed)
        return endJob(lease, "Error", contentError("ContentMalformed", `The input did not decode: ${err.message}.`));
      if (!(err instanceof JobInputError)) throw err;
      return endJob(lease, "Error", storedError(err));
    }
  } finally {
    clearInterval(watch);
    shutdown?.removeEventListener("abort", stopping);
  }
  if (cancel.signal.reason === "shutdown" && !(await isCanceling())) {
    await store.requeue(lease);
    return { jobId, state: "Deferred" };
  }
  if (cancel.signal.aborted || (await isCanceling())) return canceled();
  return endJob(lease, "Finished", undefined, writes);
}

/** Gives a job back untouched, its attempt not counted, to be tried again after a short wait. */
async function release(jobId: string, owner: string): Promise<JobOutcome> {
  await store.release({ jobId, owner, waitMs: 5000 });
  return { jobId, state: "Deferred" };
}

/** After an attempt that threw (a defect, or a job that cannot run): again after a backoff, or Error after the last attempt. */
async function failed({ id: jobId, attempts }: store.Claimed, owner: string, err: Error): Promise<JobOutcome> {
  logger("jobs").error({ jobId, attempt: attempts, maxAttempts: MAX_JOB_ATTEMPTS, err }, "job attempt failed");
  if (attempts >= MAX_JOB_ATTEMPTS) return endJob({ jobId, owner }, "Error", outOfAttempts);
  await store.retry({ jobId, owner, waitMs: backoffMs(attempts) });
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
export function startJobRunner(
  options: { loop: boolean; onOutcome?: (o: JobOutcome) => void } = { loop: true },
): JobRunner {
  const owner = workerName();
  const { jobs } = getConfig();
  // Longer than a full download, renewed with each progress report.
  const leaseMs = jobs.inputTimeoutMs + 60_000;
  const shutdown = new AbortController();
  const running = new Set<Promise<JobOutcome>>();

  async function run(claimed: store.Claimed): Promise<JobOutcome> {
    const outcome = await runJob(claimed, owner, leaseMs, shutdown.signal).catch((err: Error) =>
      failed(claimed, owner, err),
    );
    options.onOutcome?.(outcome);
    return outcome;
  }

  async function runOnce(): Promise<JobOutcome | null> {
    const claimed = await store.claim({ owner, leaseMs });
    return claimed ? run(claimed) : null;
  }

  const loop = options.loop
    ? runLoop("jobs", async () => {
        if (running.size >= jobs.concurrency) return { more: false, waitMs: 100 };
        const claimed = await store.claim({ owner, leaseMs });
        if (!claimed) return { more: false, waitMs: jobs.pollIntervalMs };
        const job = run(claimed).finally(() => running.delete(job));
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
