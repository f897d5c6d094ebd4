import "server-only";
import { randomBytes } from "node:crypto";
import { DomainError, type ErrorCode } from "@/lib/errors";
import type { KeyIdentifier } from "@/lib/keyvault/key-id";
import { getKey, unwrapKey, wrapKey, type KeyInfo } from "@/lib/keyvault/keys";
import { keyIdentifierOf } from "./hierarchy";

export type CheckId =
  "identity" | "identifier" | "key" | "enabled" | "type" | "operations" | "recovery" | "region" | "access";

export interface BindingCheck {
  id: CheckId;
  label: string;
  /** null: not run, because an earlier check failed. */
  ok: boolean | null;
  message: string;
  code?: ErrorCode;
}

export interface VaultFacts {
  location: string;
  enableSoftDelete: boolean;
  enablePurgeProtection: boolean;
}

/**
 * The vault's properties from the management plane, as the caller sees them (or, for a caller with
 * no user to act for, as the identity that will read the key sees them); null if it cannot see the
 * vault, or VaultNotVisible thrown with what to grant.
 */
export type VaultLookup = (vaultName: string, identityClientId: string) => Promise<VaultFacts | null>;

export type BindingValidation =
  | {
      ok: true;
      checks: BindingCheck[];
      key: KeyInfo;
      /** The versioned id that the proof payload was wrapped with, and the wrapping. */
      wrapping: { wrappedBy: string; wrapped: Buffer };
    }
  | {
      ok: false;
      checks: BindingCheck[];
      key?: KeyInfo;
      /** The first failure, for callers that answer with one error. */
      failure: DomainError;
    };

// In the order shown: what the vault's metadata tells comes before anything that needs the key.
const labels: Record<CheckId, string> = {
  identity: "The account has a managed identity for the key",
  identifier: "Key identifier points to an allowed Key Vault",
  recovery: "Soft delete and purge protection are on",
  region: "The vault is in the account's region",
  key: "The identity can read the key",
  enabled: "The key is enabled and within its validity dates",
  type: "RSA key of 2048, 3072 or 4096 bits",
  operations: "The key permits wrapKey and unwrapKey",
  access: "Live wrap and unwrap as the account's identity",
};

export const RSA_SIZES = [2048, 3072, 4096];

/**
 * Checks a customer key for an account, in the order a person would fix things, and proves
 * access with a live wrap/unwrap round-trip of `payload` as the account's identity. Changes
 * nothing. Key Vault calls: get, wrap, unwrap (3).
 */
export async function validateBinding(input: {
  keyIdentifier: string;
  identityClientId: string | null;
  accountLocation: string;
  lookupVault: VaultLookup;
  /** What to wrap for the proof: the account key when saving (the wrapping is then reused), random bytes otherwise. */
  payload?: Buffer;
}): Promise<BindingValidation> {
  const checks: BindingCheck[] = [];
  const result = (id: CheckId, ok: boolean, message: string, code?: ErrorCode) => {
    const check: BindingCheck = { id, label: labels[id], ok, message, ...(code ? { code } : {}) };
    checks.push(check);
    return check;
  };
  const failed = (id: CheckId, err: unknown) => {
    if (!(err instanceof DomainError)) throw err;
    return result(id, false, err.message, err.code);
  };
  /** The first failure as it happened: a vault that can never be used is told before a key it cannot read. */
  const firstFailure = () => checks.find((c) => c.ok === false)!;
  /** Every check in order, those not run marked so. */
  const allChecks = () => {
    for (const id of Object.keys(labels) as CheckId[]) {
      if (!checks.some((c) => c.id === id))
        checks.push({ id, label: labels[id], ok: null, message: "Not checked: an earlier check failed." });
    }
    return checks.sort((a, b) => Object.keys(labels).indexOf(a.id) - Object.keys(labels).indexOf(b.id));
  };
  const refused = (first: BindingCheck, key?: KeyInfo): BindingValidation => ({
    ok: false,
    checks: allChecks(),
    key,
    failure: new DomainError(first.code ?? "InvalidRequestContent", first.message, "keyIdentifier"),
  });

  if (!input.identityClientId) {
    return refused(
      result(
        "identity",
        false,
        "The account has no managed identity: give it a system-assigned identity, or name a user-assigned one.",
        "IdentityNotConfigured",
      ),
    );
  }
  result("identity", true, "The account's managed identity will read the key.");

  let id: KeyIdentifier;
  try {
    id = keyIdentifierOf(input.keyIdentifier);
    result(
      "identifier",
      true,
      id.version
        ? `Pinned to version ${id.version}.`
        : "No version: the latest version is used, and new versions are adopted automatically.",
    );
  } catch (err) {
    return refused(failed("identifier", err));
  }

  // The vault's metadata first, read without any key access: a vault without purge protection or
  // in another region can never be used, whatever the identity is granted.
  let vault: VaultFacts | null = null;
  let lookupError: unknown = null;
  try {
    vault = await input.lookupVault(id.vaultName, input.identityClientId);
  } catch (err) {
    lookupError = err;
  }
  if (vault) {
    if (!vault.enableSoftDelete)
      result(
        "recovery",
        false,
        "The vault has no soft delete: a deleted key could not be recovered. Enable soft delete and purge protection.",
        "SoftDeleteNotEnabled",
      );
    else if (!vault.enablePurgeProtection)
      result(
        "recovery",
        false,
        "The vault has no purge protection: a deleted key could be purged for good, and the account's data with it. Enable purge protection on the vault.",
        "PurgeProtectionNotEnabled",
      );
    else result("recovery", true, "The vault has soft delete and purge protection.");
    if (vault.location !== input.accountLocation)
      result(
        "region",
        false,
        `The vault is in ${vault.location}, the account in ${input.accountLocation}: use a vault in ${input.accountLocation}.`,
        "VaultRegionMismatch",
      );
    else result("region", true, `Both in ${vault.location}.`);
  }

  let key: KeyInfo;
  try {
    key = await getKey(input.identityClientId, id);
    result("key", true, `Found ${key.name}, version ${key.version}.`);
  } catch (err) {
    if (err instanceof DomainError && err.code === "KeyVaultUnavailable") throw err; // not the owner's to fix: try again
    failed("key", err);
    return refused(firstFailure());
  }

  const now = Date.now();
  if (!key.enabled)
    result("enabled", false, `The key version ${key.version} is disabled: enable it in Key Vault.`, "KeyDisabled");
  else if (key.expiresOn && key.expiresOn.getTime() <= now)
    result(
      "enabled",
      false,
      `The key expired on ${key.expiresOn.toISOString()}: extend its expiry or use another version.`,
      "KeyExpired",
    );
  else if (key.notBefore && key.notBefore.getTime() > now)
    result("enabled", false, `The key is not valid before ${key.notBefore.toISOString()}.`, "KeyNotYetValid");
  else result("enabled", true, "Enabled, and within its activation and expiry dates.");

  const rsa = key.kty === "RSA" || key.kty === "RSA-HSM";
  if (!rsa) {
    result(
      "type",
      false,
      `${key.kty} keys cannot wrap an account key: choose an RSA or RSA-HSM key of 2048, 3072 or 4096 bits.`,
      "KeyTypeNotSupported",
    );
  } else if (!RSA_SIZES.includes(key.size ?? 0)) {
    result("type", false, `The key is ${key.size} bits: use 2048, 3072 or 4096.`, "KeySizeNotSupported");
  } else result("type", true, `${key.kty} ${key.size} bits.`);

  // Only an RSA key can wrap at all: advising other operations for an EC or oct key would mislead.
  const missing = ["wrapKey", "unwrapKey"].filter((op) => !key.keyOps.includes(op));
  if (!rsa) {
    // left "Not checked"
  } else if (missing.length)
    result(
      "operations",
      false,
      `The key does not permit ${missing.join(" and ")}: add them to its permitted operations.`,
      "KeyOperationsNotAllowed",
    );
  else result("operations", true, "wrapKey and unwrapKey are permitted.");

  const level = key.recoveryLevel ?? "";
  if (vault) {
    // told by the vault's metadata above
  } else if (!level.includes("Recoverable"))
    result(
      "recovery",
      false,
      "The vault has no soft delete: a deleted key could not be recovered. Enable soft delete and purge protection.",
      "SoftDeleteNotEnabled",
    );
  else if (level.includes("Purgeable"))
    result(
      "recovery",
      false,
      "The vault has no purge protection: a deleted key could be purged for good, and the account's data with it. Enable purge protection on the vault.",
      "PurgeProtectionNotEnabled",
    );
  else result("recovery", true, `Recovery level ${level}.`);

  if (lookupError)
    failed("region", lookupError); // the lookup says why the vault cannot be seen, and what to grant
  else if (!vault)
    result(
      "region",
      false,
      `You cannot see the vault '${id.vaultName}' in Azure Resource Manager, so its region cannot be checked. You need read access to the vault.`,
      "VaultNotVisible",
    );

  if (checks.some((c) => c.ok === false)) return refused(firstFailure(), key);

  const payload = input.payload ?? randomBytes(32);
  try {
    const wrapped = await wrapKey(input.identityClientId, key.id, payload);
    const back = await unwrapKey(input.identityClientId, key.id, wrapped);
    if (!back.equals(payload))
      throw new DomainError("KeyVaultAccessDenied", "Key Vault unwrapped something else than was wrapped.");
    result("access", true, "Wrapped and unwrapped a test key as the account's identity.");
    return { ok: true, checks: allChecks(), key, wrapping: { wrappedBy: key.id, wrapped } };
  } catch (err) {
    if (err instanceof DomainError && err.code === "KeyVaultUnavailable") throw err;
    return refused(failed("access", err), key);
  }
}
