import "server-only";
import { getConfig } from "@/lib/config";
import { runLoop, workerName } from "@/lib/workers/loop";
import { checkClaimedAccount, type CheckOutcome, type KeyReads } from "./check";
import { claimDueAccounts, nextDue, releaseLeases } from "./store";
import { logger } from "@/lib/observability/logger";

export interface Monitor {
  owner: string;
  /** Claims what is due now and checks it: one cycle. */
  runOnce(): Promise<CheckOutcome[]>;
  stop(): Promise<void>;
}

const BATCH = 50;

/** A key monitor; with `loop`, it runs cycles until stopped, sleeping until the next check is due. */
export function startMonitor(
  options: { loop: boolean; onOutcome?: (o: CheckOutcome) => void } = { loop: true },
): Monitor {
  const owner = workerName();
  const { monitorIntervalMs: interval, monitorConcurrency: concurrency } = getConfig();
  // A lease outlives a slow cycle, and a crashed worker's accounts come back when it ends.
  const leaseMs = Math.max(30_000, 2 * interval);

  let stopping = false;

  /**
   * Checks a claimed batch, up to MONITOR_CONCURRENCY accounts at once: a check mostly waits on Key
   * Vault, so one at a time would leave a worker bound by Key Vault's latency. Each account of the
   * batch is checked once, by one lane; the lanes share the batch's key reads.
   */
  async function runOnce(): Promise<CheckOutcome[]> {
    const accounts = await claimDueAccounts(owner, BATCH, leaseMs);
    const reads: KeyReads = new Map();
    const outcomes: CheckOutcome[] = [];
    let next = 0;
    const lane = async () => {
      // Stopping: the checks in progress finish, the rest of the batch is handed back by stop().
      while (!stopping && next < accounts.length) {
        const account = accounts[next++]!;
        const outcome = await checkClaimedAccount(account, owner, reads).catch((err: Error & { code?: string }) => {
          // One account's failure must not hold back the rest of the batch: its lease lapses and
          // it is checked again. An account deleted during its check (P2025) just disappears.
          if (err.code !== "P2025") logger("monitor").error({ accountId: account.id, err }, "check failed");
          return { accountId: account.id, result: err.code === "P2025" ? "skipped" : "error" } satisfies CheckOutcome;
        });
        outcomes.push(outcome);
        options.onOutcome?.(outcome);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, accounts.length) }, lane));
    return outcomes;
  }

  const loop = options.loop
    ? runLoop("monitor", async () => {
        if ((await runOnce()).length === BATCH) return { more: true, waitMs: 0 };
        const due = await nextDue();
        return { more: false, waitMs: Math.min(5000, Math.max(100, due ? due.getTime() - Date.now() : interval)) };
      })
    : null;

  return {
    owner,
    runOnce,
    async stop() {
      stopping = true;
      await loop?.stop();
      await releaseLeases(owner);
    },
  };
}
