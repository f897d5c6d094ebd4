import "server-only";
import { randomBytes } from "node:crypto";
import { audit, type AuditEntry } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { accountChangeFeed, onAccountChange } from "@/lib/db/account-changes";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { DomainError } from "@/lib/errors";
import { parseKeyIdentifier, type KeyIdentifier } from "@/lib/keyvault/key-id";
import { getKey, unwrapKey, WRAP_ALGORITHM, wrapKey } from "@/lib/keyvault/keys";
import { AccountKeyCache } from "./account-key-cache";

/** A root key: the Key Vault key that wraps an account key, and the identity that may use it. */
export interface Root {
  /** As configured: versionless (follow the latest) or versioned. */
  keyId: string;
  identityClientId: string;
}

export interface AccountForKeys {
  id: string;
  encryptionType: "SystemKey" | "CustomerKey";
  keyIdentifier: string | null;
  clientId: string | null;
  encryptionIdentity: string | null;
  userAssignedIdentities: unknown;
}

const holder = globalThis as unknown as { byokAccountKeys?: AccountKeyCache };
/**
 * The process's unwrapped account keys. An account that another process makes unusable
 * (inaccessible, deleted) leaves this cache when the account change feed tells (at once, or within
 * its poll); this process's own transitions drop it where they happen.
 */
function cache(): AccountKeyCache {
  if (!holder.byokAccountKeys) {
    const keys = new AccountKeyCache(getConfig().accountKeyCacheSeconds * 1000, 10_000);
    onAccountChange(({ accountId, revoked }) => {
      if (revoked) keys.drop(accountId);
    });
    accountChangeFeed();
    holder.byokAccountKeys = keys;
  }
  return holder.byokAccountKeys;
}

export function keyIdentifierOf(input: string): KeyIdentifier {
  const { endpoints, emulator } = getConfig();
  return parseKeyIdentifier(input, { dnsSuffixes: endpoints.keyVaultDnsSuffixes, allowPort: emulator !== null });
}

/** The client id of the identity the account uses for its customer key. */
export function encryptionIdentityOf(
  account: Pick<AccountForKeys, "clientId" | "encryptionIdentity" | "userAssignedIdentities">,
): string | null {
  if (!account.encryptionIdentity) return account.clientId;
  const assigned = (account.userAssignedIdentities ?? {}) as Record<string, { clientId?: string }>;
  const match = Object.entries(assigned).find(([id]) => id.toLowerCase() === account.encryptionIdentity!.toLowerCase());
  return match?.[1].clientId ?? null;
}

export function systemRoot(): Root {
  const { systemKey } = getConfig();
  return { keyId: systemKey.keyId, identityClientId: systemKey.identityClientId };
}

export function rootOf(account: AccountForKeys): Root {
  if (account.encryptionType === "SystemKey") return systemRoot();
  const identity = encryptionIdentityOf(account);
  if (!identity || !account.keyIdentifier)
    throw new DomainError("IdentityNotConfigured", "The account's customer key has no identity to read it with.");
  return { keyId: account.keyIdentifier, identityClientId: identity };
}

/** The versioned id to wrap with: the root's own version, or its latest (one Key Vault read). */
export async function resolveVersion(root: Root): Promise<string> {
  const id = keyIdentifierOf(root.keyId);
  if (id.version) return id.id;
  const key = await getKey(root.identityClientId, id);
  if (!key.enabled)
    throw new DomainError("KeyDisabled", `The latest version of ${id.id} is disabled.`, "keyIdentifier");
  return key.id;
}

/**
 * Creates an account's key wrapped by `root` (2 Key Vault calls for a versionless root: resolve,
 * wrap). Not cached here: only a key that is stored may be used (see cacheAccountKey).
 */
export async function createAccountKey(
  root: Root,
): Promise<Prisma.AccountKeyCreateWithoutAccountInput & { plaintext: Buffer }> {
  const wrappedBy = await resolveVersion(root);
  const plaintext = randomBytes(32);
  const wrapped = await wrapKey(root.identityClientId, wrappedBy, plaintext);
  return { wrapped: new Uint8Array(wrapped), wrappedBy, algorithm: WRAP_ALGORITHM, plaintext };
}

/** Caches an account key once its row is stored, so that its first use costs no unwrap. */
export function cacheAccountKey(accountId: string, wrappedBy: string, plaintext: Buffer): void {
  cache().set(accountId, wrappedBy, plaintext);
}

/**
 * The account's key in clear, for this process only: from the cache, or unwrapped by Key Vault
 * (one call, shared by every caller meanwhile). An account created before keys existed gets its
 * key now, under its root.
 * `stored`: the account's key row when the caller read it already (key delivery's one query).
 */
export async function accountKey(
  account: AccountForKeys,
  stored?: { wrapped: Uint8Array; wrappedBy: string } | null,
): Promise<Buffer> {
  let row =
    stored ??
    (await db().accountKey.findUnique({
      where: { accountId: account.id },
      select: { wrapped: true, wrappedBy: true },
    }));
  if (!row) {
    // Concurrent first uses each make a key; the row that is stored wins, and the others unwrap it.
    const { plaintext, ...data } = await createAccountKey(rootOf(account));
    await db().accountKey.createMany({ data: [{ accountId: account.id, ...data }], skipDuplicates: true });
    row = await db().accountKey.findUniqueOrThrow({
      where: { accountId: account.id },
      select: { wrapped: true, wrappedBy: true },
    });
    if (row.wrappedBy === data.wrappedBy && Buffer.from(row.wrapped).equals(Buffer.from(data.wrapped))) {
      cacheAccountKey(account.id, data.wrappedBy, plaintext);
      return plaintext;
    }
  }
  const { wrapped, wrappedBy } = row;
  return cache().getOrLoad(account.id, wrappedBy, async () =>
    unwrapKey(rootOf(account).identityClientId, wrappedBy, Buffer.from(wrapped)),
  );
}

/**
 * Stores the account key wrapped by a new root, and the account changes that go with it, in one
 * transaction with its audit event. The secrets sealed under the account key are not touched:
 * a root change costs the same whatever their number.
 */
export async function storeRewrap(
  accountId: string,
  plaintext: Buffer,
  wrapping: { wrapped: Buffer; wrappedBy: string },
  apply: (tx: Prisma.TransactionClient) => Promise<void>,
  entry: AuditEntry,
): Promise<void> {
  await db().$transaction(async (tx) => {
    await tx.accountKey.upsert({
      where: { accountId },
      create: {
        accountId,
        wrapped: new Uint8Array(wrapping.wrapped),
        wrappedBy: wrapping.wrappedBy,
        algorithm: WRAP_ALGORITHM,
      },
      update: { wrapped: new Uint8Array(wrapping.wrapped), wrappedBy: wrapping.wrappedBy, algorithm: WRAP_ALGORITHM },
    });
    await apply(tx);
    await audit(entry, tx);
  });
  cache().set(accountId, wrapping.wrappedBy, plaintext);
}

/** Forgets the account's key in this process at once (the account stopped being usable, or was deleted). */
export function dropAccountKey(accountId: string): void {
  cache().drop(accountId);
}
