import "server-only";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";

/** What a check reads of an account: the row and its wrapped account key. */
export const accountForCheck = { accountKey: true } as const;
export type AccountForCheck = Prisma.MediaAccountGetPayload<{ include: typeof accountForCheck }>;

/**
 * Claims up to `limit` customer-key accounts whose check is due, for `owner`, until `leaseMs`
 * from now, and reads them (with their keys) in one more query: a batch costs two queries, not
 * one per account. SKIP LOCKED and the lease make it safe for several workers: an account is
 * checked by one worker at a time, and a worker that dies releases its accounts when the lease ends.
 */
export async function claimDueAccounts(owner: string, limit: number, leaseMs: number): Promise<AccountForCheck[]> {
  const rows = await db().$queryRaw<{ id: string }[]>`
    UPDATE "MediaAccount" SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id IN (
      SELECT id FROM "MediaAccount"
      WHERE "encryptionType" = 'CustomerKey' AND "nextCheckAt" <= now() AND ("leaseUntil" IS NULL OR "leaseUntil" < now())
      ORDER BY "nextCheckAt" LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id`;
  if (!rows.length) return [];
  return db().mediaAccount.findMany({
    where: { id: { in: rows.map((r) => r.id) }, leaseOwner: owner },
    include: accountForCheck,
    orderBy: { nextCheckAt: "asc" },
  });
}

/**
 * Hands back the accounts `owner` claimed and has not checked yet (a worker stopping mid-batch),
 * so another worker takes them now rather than when the lease ends. A check clears its own lease.
 */
export async function releaseLeases(owner: string): Promise<number> {
  const { count } = await db().mediaAccount.updateMany({
    where: { leaseOwner: owner },
    data: { leaseOwner: null, leaseUntil: null },
  });
  return count;
}

/** Claims one account now (check now), unless a worker holds it. */
export async function claimAccount(owner: string, accountId: string, leaseMs: number): Promise<boolean> {
  const claimed = await db().$executeRaw`
    UPDATE "MediaAccount" SET "leaseOwner" = ${owner}, "leaseUntil" = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id = ${accountId}::uuid AND "encryptionType" = 'CustomerKey' AND ("leaseUntil" IS NULL OR "leaseUntil" < now())`;
  return claimed === 1;
}

/** When the next check of a customer-key account is due. */
export async function nextDue(): Promise<Date | null> {
  const row = await db().mediaAccount.findFirst({
    where: { encryptionType: "CustomerKey" },
    orderBy: { nextCheckAt: "asc" },
    select: { nextCheckAt: true },
  });
  return row?.nextCheckAt ?? null;
}

/** An account's key state as the transition log names it: its root, and whether that root is reachable. */
export type KeyState = "SystemKey" | "CustomerKey" | "CustomerKeyInaccessible";

/**
 * The one writer of the key-state log: a change of root, a move between accessible and
 * inaccessible, or a re-wrap in the same state. Written in the transaction of the change it
 * records, so the log and the account never disagree.
 */
export async function recordTransition(
  tx: Prisma.TransactionClient,
  transition: { accountId: string; from: KeyState; to: KeyState; reason: string; detail: string },
): Promise<void> {
  const { accountId, from, to, reason, detail } = transition;
  await tx.keyTransition.create({ data: { accountId, fromState: from, toState: to, reason, detail } });
}
