import "server-only";
import { accessOf } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { DomainError } from "@/lib/errors";
import { keyIdentifierOf, rootOf } from "@/lib/keys/hierarchy";
import type { KeyIdentifier } from "@/lib/keyvault/key-id";
import { getKey, type KeyVersionInfo } from "@/lib/keyvault/keys";
import { accountFor, accountResourceId } from "./service";
import { accountsWrappedByKey, type AccountRef } from "./store";

export interface KeyVersionUse {
  /** The versioned key id. */
  kid: string;
  /** Unknown (null) when the version was not listed by Key Vault. */
  created: Date | null;
  enabled: boolean | null;
  latest: boolean;
  /** The accounts, among those the caller may read, whose account key this version wraps now. */
  accounts: { id: string; name: string; pinned: boolean }[];
}

export interface KeyVersionUsage {
  /** The account's customer key, without a version. */
  keyIdentifier: string;
  /**
   * KeyVault: every version, listed as the caller (the portal user's own token, with `list` on the key).
   * AccountKeys: only the versions that wrap an account the caller may read, and the latest, read as the
   * account's identity, which has `get` on the key but not `list`.
   */
  versionsFrom: "KeyVault" | "AccountKeys";
  versions: KeyVersionUse[];
}

/** Lists a key's versions, the latest first, as someone who may (the portal's signed-in user); a refusal falls back to what the database knows. */
export type VersionLister = (key: KeyIdentifier) => Promise<KeyVersionInfo[]>;

const versionOf = (kid: string) => kid.slice(kid.lastIndexOf("/") + 1).toLowerCase();

/**
 * For the account's customer key: each version and the accounts whose account key it wraps now,
 * so that an owner knows whether disabling or deleting a version would lock an account out.
 * Only accounts of subscriptions the caller may read are listed, and nothing is said of others:
 * even a count would tell a caller that some other subscription uses their key.
 */
export async function keyVersionUsageFor(
  principal: Principal,
  ref: AccountRef,
  listVersions?: VersionLister,
): Promise<KeyVersionUsage> {
  const account = await accountFor(principal, ref, {
    action: "read",
    operation: "Microsoft.Media/mediaservices/listKeyVersionUsage/action",
    target: accountResourceId(ref),
    policy: "account.read",
  });
  if (account.encryptionType !== "CustomerKey" || !account.keyIdentifier)
    throw new DomainError(
      "InvalidRequestContent",
      "The account uses the system key: it has no customer key whose versions could be listed.",
    );
  const bound = keyIdentifierOf(account.keyIdentifier);
  const key = keyIdentifierOf(`${bound.vaultUrl}/keys/${bound.keyName}`);
  const wrapped = await accountsWrappedByKey({ keyId: key.id, subscriptionIds: (await accessOf(principal)).readable });

  const listed = listVersions
    ? await listVersions(key).catch((err) => (err instanceof DomainError ? null : Promise.reject(err)))
    : null;
  const known: KeyVersionInfo[] = listed ?? [await getKey(rootOf(account).identityClientId, key)];
  const latest = known[0] && versionOf(known[0].id);
  const versions = new Map<string, KeyVersionUse>(
    known.map((v) => [
      versionOf(v.id),
      { kid: v.id, created: v.created ?? null, enabled: v.enabled, latest: versionOf(v.id) === latest, accounts: [] },
    ]),
  );
  for (const { wrappedBy, account: a } of wrapped) {
    const version = versionOf(wrappedBy);
    if (!versions.has(version))
      versions.set(version, { kid: wrappedBy, created: null, enabled: null, latest: false, accounts: [] });
    versions.get(version)!.accounts.push({
      id: accountResourceId(a),
      name: a.name,
      pinned: a.keyIdentifier !== null && keyIdentifierOf(a.keyIdentifier).version !== undefined,
    });
  }
  return { keyIdentifier: key.id, versionsFrom: listed ? "KeyVault" : "AccountKeys", versions: [...versions.values()] };
}
