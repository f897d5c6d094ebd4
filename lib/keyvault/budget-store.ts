import "server-only";
import { db } from "@/lib/db/client";

export interface BudgetAnswer {
  /** Operations granted now (0: none). */
  granted: number;
  /** When none were granted: how long to wait before asking again, by the database's clock. */
  waitMs: number;
}

/**
 * Takes up to `want` operations of `vault`'s budget: at most `limit` granted in any `windowMs`,
 * across every process that shares this database, and none while the vault is backing off after
 * a 429. A per-vault advisory lock makes the read and the grant one step for all of them.
 */
export async function takeBudget(input: {
  vault: string;
  want: number;
  limit: number;
  windowMs: number;
}): Promise<BudgetAnswer> {
  const { vault, want, limit, windowMs } = input;
  const windowS = windowMs / 1000;
  return db().$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtext(${`keyvault-budget:${vault}`}))`;
      const [state] = await tx.$queryRaw<
        { used: number; oldestEndsInMs: number | null; blockedForMs: number | null }[]
      >`
      SELECT coalesce(sum(count), 0)::int AS used,
             (extract(epoch FROM min("grantedAt") + make_interval(secs => ${windowS}) - clock_timestamp()) * 1000)::int AS "oldestEndsInMs",
             (SELECT (extract(epoch FROM "blockedUntil" - clock_timestamp()) * 1000)::int
                FROM "KeyVaultBackoff" WHERE vault = ${vault} AND "blockedUntil" > clock_timestamp()) AS "blockedForMs"
      FROM "KeyVaultBudgetGrant"
      WHERE vault = ${vault} AND "grantedAt" > clock_timestamp() - make_interval(secs => ${windowS})`;
      if (state!.blockedForMs !== null) return { granted: 0, waitMs: Math.max(1, state!.blockedForMs) };
      const granted = Math.min(want, limit - state!.used);
      if (granted <= 0) return { granted: 0, waitMs: Math.max(1, state!.oldestEndsInMs ?? 1) };
      await tx.$executeRaw`
      INSERT INTO "KeyVaultBudgetGrant" (vault, "grantedAt", count) VALUES (${vault}, clock_timestamp(), ${granted})`;
      // Rows past the window count for nothing; this keeps the table as small as one window's grants.
      await tx.$executeRaw`
      DELETE FROM "KeyVaultBudgetGrant" WHERE vault = ${vault} AND "grantedAt" < clock_timestamp() - make_interval(secs => ${2 * windowS})`;
      return { granted, waitMs: 0 };
      // Each process has at most one request in flight per vault (budget.ts), so few wait here.
    },
    { maxWait: 10_000, timeout: 10_000 },
  );
}

/** Key Vault answered 429 with Retry-After: every process holds its requests to `vault` that long. */
export async function backOff(vault: string, retryAfterMs: number): Promise<void> {
  const seconds = retryAfterMs / 1000;
  await db().$executeRaw`
    INSERT INTO "KeyVaultBackoff" (vault, "blockedUntil") VALUES (${vault}, clock_timestamp() + make_interval(secs => ${seconds}))
    ON CONFLICT (vault) DO UPDATE SET "blockedUntil" = GREATEST("KeyVaultBackoff"."blockedUntil", EXCLUDED."blockedUntil")`;
}
