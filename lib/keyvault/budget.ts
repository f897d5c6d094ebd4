import "server-only";
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { getConfig } from "@/lib/config";
import { boundedCache } from "@/lib/observability/bounded-cache";
import { metrics } from "@/lib/observability/metrics";
import { backOff, takeBudget } from "./budget-store";

/**
 * Key Vault's service limit is per vault (4,000 RSA-2048 operations per 10 s for software keys),
 * so the budget that keeps this service under it is per vault too, shared by every portal and
 * worker through the database. Each process takes slices of the budget sized to the requests it
 * has waiting and to the rate it spent its last slice at, spends a slice within SLICE_VALIDITY_MS,
 * and asks again. A slice counts against
 * WINDOW_MS, longer than Key Vault's 10 s by the slice's validity and a margin for the round
 * trip, so that requests sent under slices granted in any 10 s window never exceed the budget.
 * A 429 makes every process hold that vault's requests for its Retry-After.
 */
const SLICE_VALIDITY_MS = 250;
const WINDOW_MS = 10_000 + SLICE_VALIDITY_MS + 500;
/** Without Retry-After, Key Vault's guidance is to back off; a few seconds, as its SDK's default retry does. */
const DEFAULT_RETRY_AFTER_MS = 4000;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

class VaultBudget {
  private tokens = 0;
  private validUntil = 0;
  /** The last slice: when it was granted, how large, and how much of it was spent. */
  private grantedAt = 0;
  private granted = 0;
  private readonly waiters: Waiter[] = [];
  private pumping = false;

  constructor(
    private readonly vault: string,
    private readonly limit: number,
  ) {}

  take(): Promise<void> {
    if (this.tokens > 0 && performance.now() < this.validUntil) {
      this.tokens--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      void this.pump();
    });
  }

  /** A 429 here means this process's slice is spent too: ask the database (and its backoff) next time. */
  drop() {
    this.tokens = 0;
  }

  /**
   * What this process will spend in the next slice at the rate it spent the last one: a worker
   * checking a batch asks once for many requests, not once for each (each ask is a transaction).
   * Unspent units count against the shared window, so the ask follows the rate measured, and at
   * most doubles it.
   */
  private expected(now: number): number {
    const spent = this.granted - this.tokens;
    if (!spent || now - this.grantedAt > 2 * SLICE_VALIDITY_MS) return 1;
    const elapsed = Math.min(SLICE_VALIDITY_MS, now - this.grantedAt);
    return Math.min(2 * spent, Math.ceil((spent * SLICE_VALIDITY_MS) / Math.max(elapsed, SLICE_VALIDITY_MS / 2)));
  }

  private async pump() {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.waiters.length) {
        if (this.tokens > 0 && performance.now() < this.validUntil) {
          this.tokens--;
          this.waiters.shift()!.resolve();
          continue;
        }
        const askedAt = performance.now();
        const { granted, waitMs } = await takeBudget({
          vault: this.vault,
          want: Math.min(
            Math.max(this.waiters.length, this.expected(askedAt)),
            Math.max(1, Math.ceil(this.limit / 20)),
          ),
          limit: this.limit,
          windowMs: WINDOW_MS,
        });
        if (granted) {
          this.tokens = this.granted = granted;
          this.grantedAt = askedAt;
          this.validUntil = askedAt + SLICE_VALIDITY_MS;
        } else {
          await new Promise((r) => setTimeout(r, Math.min(waitMs, 1000)));
        }
      }
    } catch (err) {
      for (const waiter of this.waiters.splice(0)) waiter.reject(err);
    } finally {
      this.pumping = false;
    }
  }
}

// Per vault, most recently used: a budget that leaves only loses its unspent slice (the budget itself is in the database).
const budgets = boundedCache<string, VaultBudget>("keyvault-budgets", 1000);
function budgetOf(vault: string): VaultBudget {
  let budget = budgets.get(vault);
  if (!budget) budgets.set(vault, (budget = new VaultBudget(vault, getConfig().keyVaultOperationsPer10s)));
  return budget;
}

function retryAfterMs(header: string | undefined): number {
  const seconds = Number(header);
  if (header && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = header ? Date.parse(header) : NaN;
  return Number.isNaN(date) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, date - Date.now());
}

/**
 * A pipeline policy for every Key Vault client, placed per retry so that each HTTP request (the
 * SDK's own retries and the challenge handshake included) takes a unit of its vault's budget.
 */
export const vaultBudgetPolicy: PipelinePolicy = {
  name: "sharedVaultBudget",
  async sendRequest(request, next) {
    const vault = new URL(request.url).hostname.toLowerCase();
    const budget = budgetOf(vault);
    await budget.take();
    const response = await next(request);
    const m = metrics();
    m.keyVaultRequests.inc({ vault, status: `${Math.floor(response.status / 100)}xx` });
    if (response.status === 429) {
      m.keyVaultThrottled.inc({ vault });
      budget.drop();
      await backOff(vault, retryAfterMs(response.headers.get("retry-after")));
    }
    return response;
  },
};
