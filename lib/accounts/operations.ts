import "server-only";
import { randomUUID } from "node:crypto";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import type { VaultFacts } from "@/lib/keys/binding";

/**
 * The long-running operations of the REST API on an account, as a state machine in one store:
 * `startOperation` (InProgress, the account's provisioningState with it), `claimOperation` (a
 * lease: one process runs it), then `succeedOperation` or `failOperation` (the binding's code),
 * or `retryOperationLater` when Key Vault did not answer. A lease that expires (the process died)
 * lets a worker take the operation over, so an operation survives a restart.
 */

/** How the operation reads the vault's properties: as the caller saw them in the request, or as the key's identity sees them. */
export type VaultSource =
  { from: "caller"; facts: VaultFacts | null; error?: { code: string; message: string } } | { from: "keyIdentity" };

export type OperationInput =
  | { kind: "customerKey"; keyIdentifier: string; userAssignedIdentity: string | null; vault: VaultSource }
  | { kind: "systemKey" };

export type OperationStatus = "InProgress" | "Succeeded" | "Failed";

const columns = {
  id: true,
  accountId: true,
  subscriptionId: true,
  location: true,
  kind: true,
  input: true,
  actor: true,
  status: true,
  errorCode: true,
  errorMessage: true,
  attempts: true,
  startTime: true,
  endTime: true,
} satisfies Prisma.AccountOperationSelect;

export type OperationRecord = Prisma.AccountOperationGetPayload<{ select: typeof columns }>;

/** How long a process holds an operation before another may take it over. */
export const OPERATION_LEASE_MS = 60_000;

/**
 * Records an operation, InProgress, leased to `owner` (the process that will run it at once), and
 * marks its account InProgress. Inside the transaction of the request's other changes.
 */
export async function startOperation(
  tx: Prisma.TransactionClient,
  data: { accountId: string; subscriptionId: string; location: string; input: OperationInput; actor: string },
  owner: string,
): Promise<OperationRecord> {
  await tx.mediaAccount.update({ where: { id: data.accountId }, data: { provisioningState: "InProgress" } });
  return tx.accountOperation.create({
    data: {
      id: randomUUID(),
      ...data,
      kind: data.input.kind,
      input: data.input as Prisma.InputJsonValue,
      leaseOwner: owner,
      leaseUntil: new Date(Date.now() + OPERATION_LEASE_MS),
    },
    select: columns,
  });
}

/**
 * Records a change that had no Key Vault work as an operation that already Succeeded (from
 * 2021-06-01 every PUT and PATCH is long-running, as Azure's): nothing runs it, a client polls it.
 */
export async function recordCompletedOperation(
  tx: Prisma.TransactionClient,
  data: { accountId: string; subscriptionId: string; location: string; actor: string },
): Promise<OperationRecord> {
  const now = new Date();
  return tx.accountOperation.create({
    data: {
      id: randomUUID(),
      ...data,
      kind: "settings",
      input: { kind: "settings" },
      status: "Succeeded",
      startTime: now,
      endTime: now,
    },
    select: columns,
  });
}

/** The operation of a subscription by id (any case), or null. */
export async function findOperation(subscriptionId: string, id: string): Promise<OperationRecord | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  return db().accountOperation.findFirst({
    where: { id: id.toLowerCase(), subscriptionId: subscriptionId.toLowerCase() },
    select: columns,
  });
}

/** The account's operation in progress, if any: a second change waits for it (409). */
export async function operationInProgress(accountId: string): Promise<OperationRecord | null> {
  return db().accountOperation.findFirst({ where: { accountId, status: "InProgress" }, select: columns });
}

/** Takes the operation for `owner` when it is in progress and nobody holds it (or `owner` already does). */
export async function claimOperation(id: string, owner: string, leaseMs = OPERATION_LEASE_MS): Promise<boolean> {
  const now = new Date();
  const { count } = await db().accountOperation.updateMany({
    where: {
      id,
      status: "InProgress",
      OR: [{ leaseUntil: null }, { leaseUntil: { lt: now } }, { leaseOwner: owner }],
    },
    data: { leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs), attempts: { increment: 1 } },
  });
  return count === 1;
}

/** Operations in progress that no live process holds: a crashed process's, or ones waiting to retry. */
export async function dueOperations(limit: number): Promise<string[]> {
  const rows = await db().accountOperation.findMany({
    where: { status: "InProgress", OR: [{ leaseUntil: null }, { leaseUntil: { lt: new Date() } }] },
    select: { id: true },
    orderBy: { startTime: "asc" },
    take: limit,
  });
  return rows.map((r) => r.id);
}

async function finish(
  id: string,
  owner: string,
  data: { status: OperationStatus; errorCode?: string; errorMessage?: string },
): Promise<void> {
  await db().$transaction(async (tx) => {
    const { count } = await tx.accountOperation.updateMany({
      where: { id, status: "InProgress", leaseOwner: owner },
      data: { ...data, endTime: new Date(), leaseOwner: null, leaseUntil: null },
    });
    if (count !== 1) return; // another process took it over; its outcome stands
    const op = await tx.accountOperation.findUniqueOrThrow({ where: { id }, select: { accountId: true } });
    await tx.mediaAccount.update({ where: { id: op.accountId }, data: { provisioningState: data.status } });
  });
}

export const succeedOperation = (id: string, owner: string) => finish(id, owner, { status: "Succeeded" });

export const failOperation = (id: string, owner: string, error: { code: string; message: string }) =>
  finish(id, owner, { status: "Failed", errorCode: error.code, errorMessage: error.message });

/** Leaves the operation in progress for any process to take again at `at` (Key Vault did not answer). */
export async function retryOperationLater(id: string, owner: string, at: Date): Promise<void> {
  await db().accountOperation.updateMany({
    where: { id, status: "InProgress", leaseOwner: owner },
    data: { leaseOwner: null, leaseUntil: at },
  });
}
