import "server-only";
import { getConfig } from "@/lib/config";
import { runLoop, workerName } from "@/lib/workers/loop";
import { checkAccount, type CheckOutcome, type KeyReads } from "./check";
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
  const interval = getConfig().monitorIntervalMs;
  // A lease outlives a slow cycle, and a crashed worker's accounts come back when it ends.
  const leaseMs = Math.max(30_000, 2 * interval);

  let stopping = false;

  async function runOnce(): Promise<CheckOutcome[]> {
    const ids = await claimDueAccounts(owner, BATCH, leaseMs);
    const reads: KeyReads = new Map();
    const outcomes: CheckOutcome[] = [];
    for (const id of ids) {
      // Stopping: the check in progress finishes, the rest of the batch is handed back below.
      if (stopping) break;
      const outcome = await checkAccount(id, owner, reads).catch((err: Error & { code?: string }) => {
        // One account's failure must not hold back the rest of the batch: its lease lapses and
        // it is checked again. An account deleted during its check (P2025) just disappears.
        if (err.code !== "P2025") logger("monitor").error({ accountId: id, err }, "check failed");
        return { accountId: id, result: err.code === "P2025" ? "skipped" : "error" } satisfies CheckOutcome;
      });
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
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
