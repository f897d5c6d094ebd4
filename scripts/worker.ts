/**
 * `npm run worker`: the key monitor, the job runner, and the REST API's long-running operations
 * that no live process holds (the portal runs each at once; a worker takes over after a crash).
 * Safe to run several: accounts, jobs and operations are claimed with leases. `npm start` runs one.
 */
import "dotenv/config";
import { ConfigError, loadConfig, type AppConfig } from "@/lib/config";
import { disconnectDb } from "@/lib/db/client";
import { applyLogLevel } from "@/lib/log-level";
import { assertAzureReachable } from "@/lib/health/startup-checks";
import { startJobRunner } from "@/lib/media/job-runner";
import { startMonitor } from "@/lib/monitor/worker";
import { startOperationRunner } from "@/lib/accounts/operation-runner";
import { pruneAccountChanges } from "@/lib/db/account-changes";
import { pruneCheckCounts, stopCheckCounts } from "@/lib/monitor/check-counts";
import { logger } from "@/lib/observability/logger";
import { startMetricsServer } from "@/lib/observability/metrics-server";
import { runLoop } from "@/lib/workers/loop";

const PRUNE_INTERVAL_MS = 60_000;

/** The configuration, once it is valid and (azure profile) every endpoint answers; otherwise every problem, named, and exit 1. */
async function checkedConfig(): Promise<AppConfig> {
  try {
    const config = loadConfig();
    await assertAzureReachable(config);
    return config;
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  }
}

const config = await checkedConfig();
applyLogLevel(config.logLevel);
const log = logger("worker");
// The monitor logs each check that finds something other than an active key (lib/monitor/check.ts).
const monitor = startMonitor({ loop: true });
const jobs = startJobRunner({
  loop: true,
  onOutcome: (o) => {
    if (o.state !== "Deferred")
      logger("jobs").info({ jobId: o.jobId, state: o.state, code: o.error?.code }, "job attempt ended");
  },
});
const operations = startOperationRunner({
  loop: true,
  intervalMs: 1000,
  onOutcome: (o) => logger("operations").info({ operationId: o.id, status: o.status, code: o.code }, "operation ended"),
});
// AccountChange keeps one row per account ever changed: rows older than the feeds' retention go;
// so do the dashboard's check counts older than a week.
const pruning = runLoop("account-changes", async () => {
  const pruned = await pruneAccountChanges();
  if (pruned) log.debug({ pruned }, "account changes pruned");
  const prunedCounts = await pruneCheckCounts();
  if (prunedCounts) log.debug({ pruned: prunedCounts }, "check counts pruned");
  return { more: false, waitMs: PRUNE_INTERVAL_MS };
});
// Its own counters, on a port of its own (the launcher gives worker i WORKER_METRICS_PORT + i).
const metricsServer = config.metrics.workerPort
  ? await startMetricsServer({
      host: config.profile === "local" ? "127.0.0.1" : "0.0.0.0",
      port: config.metrics.workerPort,
    })
  : null;
log.info(
  {
    owner: monitor.owner,
    monitorIntervalSeconds: config.monitorIntervalMs / 1000,
    jobPollSeconds: config.jobs.pollIntervalMs / 1000,
    metrics: metricsServer?.url ?? null,
  },
  "worker started: key monitor, jobs, operations",
);

// SIGTERM (the launcher stopping, a deployment) ends the worker within STOP_BOUND_MS: the monitor
// finishes the check in progress and hands back the rest of its batch, the job runner hands its
// running jobs back, scheduled; whatever is still held after the bound comes back when its lease ends.
const STOP_BOUND_MS = 10_000;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    const bound = new Promise<"timeout">((resolve) => setTimeout(resolve, STOP_BOUND_MS, "timeout").unref());
    // The checks counted since the last flush are written once the checks in progress have ended.
    const stopped = Promise.all([
      // A failed flush was logged; its counts are lost with the process.
      monitor.stop().then(() => stopCheckCounts().catch(() => undefined)),
      jobs.stop(),
      operations.stop(),
      pruning.stop(),
    ]).then(() => "stopped" as const);
    if ((await Promise.race([stopped, bound])) === "timeout") {
      log.error({ boundMs: STOP_BOUND_MS }, "did not stop within the bound; leases held now end on their own");
    }
    await metricsServer?.close();
    await disconnectDb();
    process.exit(0);
  });
}
