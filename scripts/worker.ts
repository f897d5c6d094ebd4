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
const monitor = startMonitor({
  loop: true,
  onOutcome: (o) => {
    if (o.result !== "active")
      console.log(
        `[monitor] ${o.accountId}: ${o.result}${o.reason ? ` (${o.reason})` : ""}${o.rewrappedTo ? ` → ${o.rewrappedTo}` : ""}`,
      );
  },
});
const jobs = startJobRunner({
  loop: true,
  onOutcome: (o) => {
    if (o.state !== "Deferred") console.log(`[jobs] ${o.jobId}: ${o.state}${o.error ? ` (${o.error.code})` : ""}`);
  },
});
const operations = startOperationRunner({
  loop: true,
  intervalMs: 1000,
  onOutcome: (o) => console.log(`[operations] ${o.id}: ${o.status}${o.code ? ` (${o.code})` : ""}`),
});
console.log(`[monitor] ${monitor.owner} checks customer keys every ${config.monitorIntervalMs / 1000} s`);
console.log(`[jobs] ${jobs.owner} looks for scheduled jobs every ${config.jobs.pollIntervalMs / 1000} s`);

// SIGTERM (the launcher stopping, a deployment) ends the worker within STOP_BOUND_MS: the monitor
// finishes the check in progress and hands back the rest of its batch, the job runner hands its
// running jobs back, scheduled; whatever is still held after the bound comes back when its lease ends.
const STOP_BOUND_MS = 10_000;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    const bound = new Promise<"timeout">((resolve) => setTimeout(resolve, STOP_BOUND_MS, "timeout").unref());
    const stopped = Promise.all([monitor.stop(), jobs.stop(), operations.stop()]).then(() => "stopped" as const);
    if ((await Promise.race([stopped, bound])) === "timeout") {
      console.error(`[worker] did not stop within ${STOP_BOUND_MS / 1000} s; leases held now end on their own`);
    }
    await disconnectDb();
    process.exit(0);
  });
}
