import "server-only";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { workerName } from "@/lib/workers/loop";
import { checkAccount, type CheckOutcome } from "./check";
import { claimAccount } from "./store";
import { logger } from "@/lib/observability/logger";

/** Checks this process runs at once for events; the rest wait their turn (Key Vault's budget is shared). */
const CONCURRENCY = 4;
/** How long a check waits for a worker that holds the account's lease (it may have read the key before the change). */
const CLAIM_PATIENCE_MS = 10_000;
const CLAIM_RETRY_MS = 100;
/** Delays before each attempt of an event-triggered check while Key Vault answers nothing definitive. */
const UNREACHABLE_RETRY_MS = [0, 500, 1000, 2000];

const owner = `events:${workerName()}`;
/** Accounts queued or being checked here; `again` when another "look now" came in meanwhile. */
const pending = new Map<string, { again: boolean }>();
const queue: string[] = [];
let active = 0;
let idle: Promise<void> = Promise.resolve();
let resolveIdle: (() => void) | undefined;
let onOutcome: ((o: CheckOutcome) => void) | undefined;

/** Observes the outcome of every event-triggered check of this process (benches, tests, logs). */
export function onTriggeredCheck(listener: ((o: CheckOutcome) => void) | undefined) {
  onOutcome = listener;
}

/**
 * "Look now" for these accounts: they are marked due in the database at once (so that a worker
 * takes them on its next cycle if this process goes away), then checked here right away, a few
 * at a time. The check is the one the monitor runs, under the same lease, so one account is
 * still checked by one process at a time; an account already queued or being checked here is
 * checked once more after that check, so a change made during it is not missed.
 */
export async function checkAccountsNow(accountIds: string[]): Promise<void> {
  const ids = [...new Set(accountIds)];
  if (!ids.length) return;
  await db().mediaAccount.updateMany({
    where: { id: { in: ids }, encryptionType: "CustomerKey" },
    data: { nextCheckAt: new Date() },
  });
  for (const id of ids) {
    const entry = pending.get(id);
    if (entry) {
      entry.again = true;
      continue;
    }
    pending.set(id, { again: false });
    queue.push(id);
  }
  pump();
}

/** Resolves when no event-triggered check is queued or running in this process. */
export function triggeredChecksSettled(): Promise<void> {
  return idle;
}

function pump() {
  if (active === 0 && queue.length && !resolveIdle) idle = new Promise((r) => (resolveIdle = r));
  while (active < CONCURRENCY && queue.length) {
    const id = queue.shift()!;
    active++;
    void runCheck(id).finally(() => {
      active--;
      const entry = pending.get(id);
      if (entry?.again) {
        entry.again = false;
        queue.push(id);
      } else pending.delete(id);
      pump();
      if (active === 0 && !queue.length) {
        resolveIdle?.();
        resolveIdle = undefined;
      }
    });
  }
}

/**
 * One event-triggered check; when Key Vault did not answer definitively (throttled, 5xx,
 * timeout), tried again a few times soon after: an event says something changed, and waiting a
 * whole poll interval for it would waste what the event told.
 */
async function runCheck(accountId: string): Promise<void> {
  for (const [attempt, delayMs] of UNREACHABLE_RETRY_MS.entries()) {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    const result = await runCheckOnce(accountId);
    if (result !== "unreachable" || attempt === UNREACHABLE_RETRY_MS.length - 1) return;
  }
}

/**
 * Claims the account's lease for a check run outside the monitor's cycle (an event, Check now).
 * A worker holding the lease may be checking with what it read before the change, so this waits
 * for it, up to CLAIM_PATIENCE_MS. False when the account left the customer key meanwhile, or
 * stayed leased (the poll checks it then).
 */
export async function claimForCheck(owner: string, accountId: string, leaseMs: number): Promise<boolean> {
  const deadline = Date.now() + CLAIM_PATIENCE_MS;
  while (!(await claimAccount(owner, accountId, leaseMs))) {
    const account = await db().mediaAccount.findUnique({
      where: { id: accountId },
      select: { encryptionType: true },
    });
    if (account?.encryptionType !== "CustomerKey") return false;
    if (Date.now() > deadline) {
      logger("events").warn({ accountId, patienceMs: CLAIM_PATIENCE_MS }, "account stayed leased; the poll checks it");
      return false;
    }
    await new Promise((r) => setTimeout(r, CLAIM_RETRY_MS));
  }
  return true;
}

async function runCheckOnce(accountId: string): Promise<CheckOutcome["result"] | null> {
  const leaseMs = Math.max(30_000, 2 * getConfig().monitorIntervalMs);
  try {
    if (!(await claimForCheck(owner, accountId, leaseMs))) return null;
    const outcome = await checkAccount(accountId, owner);
    onOutcome?.(outcome);
    return outcome.result;
  } catch (err) {
    const e = err as Error & { code?: string };
    // Deleted meanwhile (P2025): nothing to check. Anything else: the poll checks it again.
    if (e.code !== "P2025") logger("events").error({ accountId, err: e }, "event-triggered check failed");
    return null;
  }
}
