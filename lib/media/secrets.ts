import "server-only";
import { open, seal } from "@/lib/crypto/envelope";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";

/**
 * The secrets sealed under an account key. Each is bound to (account, kind, "ownerId/name"): a
 * sealed value copied to another record, or its row pointed at another owner, does not open.
 */
export type SecretKind = "contentKey" | "tokenKey" | "jobInputUrl";

export interface Secret {
  kind: SecretKind;
  /** The record that holds it: streaming locator, content key policy or job. */
  ownerId: string;
  /** Unique per account and kind: a content key id, "optionId/primary", a job id. */
  name: string;
}

type StoredSecret = Omit<Secret, "kind"> & { kind: string; sealed: Uint8Array };

const bindingOf = (accountId: string, s: Omit<Secret, "kind"> & { kind: string }) => ({
  scope: accountId,
  kind: s.kind,
  id: `${s.ownerId}/${s.name}`,
});

export function sealSecrets(
  accountId: string,
  accountKey: Buffer,
  secrets: (Secret & { value: Buffer })[],
): Prisma.AccountSecretCreateManyInput[] {
  return secrets.map(({ value, ...s }) => ({
    accountId,
    ...s,
    sealed: new Uint8Array(seal(accountKey, value, bindingOf(accountId, s))),
  }));
}

export function openSecret(accountId: string, accountKey: Buffer, row: StoredSecret): Buffer {
  return open(accountKey, Buffer.from(row.sealed), bindingOf(accountId, row));
}

/** An owner's secrets, opened, by name. */
export async function openSecretsOf(
  accountId: string,
  accountKey: Buffer,
  ownerId: string,
  kind: SecretKind,
): Promise<Map<string, Buffer>> {
  const rows = await db().accountSecret.findMany({
    where: { accountId, ownerId, kind },
    select: { kind: true, ownerId: true, name: true, sealed: true },
  });
  return new Map(rows.map((r) => [r.name, openSecret(accountId, accountKey, r)]));
}

/** Stores sealed secrets inside the caller's transaction. */
export async function insertSecrets(
  tx: Prisma.TransactionClient,
  rows: Prisma.AccountSecretCreateManyInput[],
): Promise<void> {
  if (rows.length) await tx.accountSecret.createMany({ data: rows });
}

/**
 * Deletes the secrets of these owners of the account inside the caller's transaction. Always by
 * account: an owner id alone once let another account delete these secrets by choosing it.
 */
export async function deleteSecretsOf(
  tx: Prisma.TransactionClient,
  accountId: string,
  ownerIds: string[],
): Promise<void> {
  await tx.accountSecret.deleteMany({ where: { accountId, ownerId: { in: ownerIds } } });
}

/** Replaces an owner's secrets inside the caller's transaction. */
export async function replaceSecrets(
  tx: Prisma.TransactionClient,
  accountId: string,
  ownerId: string,
  rows: Prisma.AccountSecretCreateManyInput[],
): Promise<void> {
  await deleteSecretsOf(tx, accountId, [ownerId]);
  await insertSecrets(tx, rows);
}
