import "server-only";
import { audit } from "@/lib/audit";
import type { Principal } from "@/lib/auth/principal";
import { DomainError } from "@/lib/errors";
import { validateBinding, type BindingValidation, type VaultLookup } from "@/lib/keys/binding";
import {
  accountKey,
  encryptionIdentityOf,
  keyIdentifierOf,
  resolveVersion,
  storeRewrap,
  systemRoot,
} from "@/lib/keys/hierarchy";
import { wrapKey } from "@/lib/keyvault/keys";
import { checkAccount } from "@/lib/monitor/check";
import { recordTransition } from "@/lib/monitor/store";
import { claimForCheck } from "@/lib/monitor/trigger";
import { accountFor, accountResourceId } from "./service";
import { findAccount, type AccountRecord, type AccountRef } from "./store";

export interface CustomerKeyRequest {
  keyIdentifier: string;
  /** null: the account's system-assigned identity; else a user-assigned identity's ARM id. */
  userAssignedIdentity: string | null;
}

/** A new root starts Active, with its first check due now. */
const freshKeyStatus = () => ({
  keyStatus: "Active" as const,
  keyStatusReason: null,
  keyStatusMessage: null,
  unreachableSince: null,
  unreachableReason: null,
  nextCheckAt: new Date(),
});

const writableAccount = (principal: Principal, ref: AccountRef, operation: string) =>
  accountFor(principal, ref, {
    action: "write",
    operation,
    target: `${accountResourceId(ref)}/encryption`,
    policy: "encryption.change",
  });

/**
 * Checks the account's customer key now, as the monitor would (any role may ask). Answers with
 * the account as it stands after the check. A worker checking it at this moment may have read the
 * key before the change the user asks about, so Check now waits for that check and then runs its
 * own; only an account that stays leased past the wait is answered as it is.
 */
export async function checkKeyNowFor(principal: Principal, ref: AccountRef): Promise<AccountRecord> {
  const account = await accountFor(principal, ref, {
    action: "read",
    operation: "Microsoft.Media/mediaservices/checkCustomerKey/action",
    target: accountResourceId(ref),
    policy: "key.check",
  });
  if (account.encryptionType !== "CustomerKey")
    throw new DomainError(
      "InvalidRequestContent",
      "The account uses the system key: there is no customer key to check.",
    );
  const owner = `check-now:${principal.objectId}`;
  if (await claimForCheck(owner, account.id, 60_000)) await checkAccount(account.id, owner);
  return (await findAccount(ref))!;
}

function identityFor(account: AccountRecord, request: CustomerKeyRequest): string | null {
  return encryptionIdentityOf({ ...account, encryptionIdentity: request.userAssignedIdentity });
}

/** Runs every check of a customer key for the account, with a round-trip of random bytes. Changes nothing. */
export async function validateCustomerKeyFor(
  principal: Principal,
  ref: AccountRef,
  request: CustomerKeyRequest,
  lookupVault: VaultLookup,
): Promise<BindingValidation> {
  const account = await writableAccount(principal, ref, "Microsoft.Media/mediaservices/encryption/validate");
  return validateBinding({
    keyIdentifier: request.keyIdentifier,
    identityClientId: identityFor(account, request),
    accountLocation: account.location,
    lookupVault,
  });
}

/** Switches the account to a customer key once the caller may (see switchToCustomerKey). */
export async function switchToCustomerKeyFor(
  principal: Principal,
  ref: AccountRef,
  request: CustomerKeyRequest,
  lookupVault: VaultLookup,
): Promise<BindingValidation> {
  const account = await writableAccount(principal, ref, "Microsoft.Media/mediaservices/encryption/write");
  return switchToCustomerKey(account, request, lookupVault, principal.objectId);
}

/**
 * Switches the account to a customer key, or to another customer key or version: validates it,
 * and the validation's round-trip wraps the account key itself, so the new wrapping is proven
 * before it is stored. Key Vault calls: get, wrap, unwrap, plus one unwrap of the old root when
 * the account key is not cached. Nothing changes when a check fails. The caller has authorized
 * `actor` (the REST API's long-running operations run this after the request).
 */
export async function switchToCustomerKey(
  account: AccountRecord,
  request: CustomerKeyRequest,
  lookupVault: VaultLookup,
  actor: string,
): Promise<BindingValidation> {
  const plaintext = await accountKey(account);
  const validation = await validateBinding({
    keyIdentifier: request.keyIdentifier,
    identityClientId: identityFor(account, request),
    accountLocation: account.location,
    lookupVault,
    payload: plaintext,
  });
  if (!validation.ok) {
    await audit({
      actor,
      action: "encryption.customerKey",
      outcome: "failure",
      subscriptionId: account.subscriptionId,
      accountId: account.id,
      detail: { reason: validation.failure.code },
    });
    return validation;
  }
  const keyIdentifier = keyIdentifierOf(request.keyIdentifier).id;
  await storeRewrap(
    account.id,
    plaintext,
    validation.wrapping,
    async (tx) => {
      await tx.mediaAccount.update({
        where: { id: account.id },
        data: {
          encryptionType: "CustomerKey",
          keyIdentifier,
          encryptionIdentity: request.userAssignedIdentity,
          version: { increment: 1 },
          ...freshKeyStatus(),
        },
      });
      await recordTransition(tx, {
        accountId: account.id,
        from: account.encryptionType,
        to: "CustomerKey",
        reason: "CustomerKeyConfigured",
        detail: validation.wrapping.wrappedBy,
      });
    },
    {
      actor,
      action: "encryption.customerKey",
      outcome: "success",
      subscriptionId: account.subscriptionId,
      accountId: account.id,
      detail: {
        keyIdentifier,
        currentKeyIdentifier: validation.wrapping.wrappedBy,
        from: account.accountKey?.wrappedBy ?? null,
      },
    },
  );
  return validation;
}

/** Switches back to the system key once the caller may (see switchToSystemKey). */
export async function switchToSystemKeyFor(principal: Principal, ref: AccountRef): Promise<string> {
  const account = await writableAccount(principal, ref, "Microsoft.Media/mediaservices/encryption/write");
  return switchToSystemKey(account, principal.objectId);
}

/** Switches back to the service's system key (its latest version): 2 Key Vault calls, plus an unwrap if not cached. */
export async function switchToSystemKey(account: AccountRecord, actor: string): Promise<string> {
  const plaintext = await accountKey(account);
  const root = systemRoot();
  const wrappedBy = await resolveVersion(root);
  const wrapped = await wrapKey(root.identityClientId, wrappedBy, plaintext);
  await storeRewrap(
    account.id,
    plaintext,
    { wrapped, wrappedBy },
    async (tx) => {
      await tx.mediaAccount.update({
        where: { id: account.id },
        data: {
          encryptionType: "SystemKey",
          keyIdentifier: null,
          encryptionIdentity: null,
          version: { increment: 1 },
          ...freshKeyStatus(),
        },
      });
      await recordTransition(tx, {
        accountId: account.id,
        from: "CustomerKey",
        to: "SystemKey",
        reason: "SystemKeyConfigured",
        detail: wrappedBy,
      });
    },
    {
      actor,
      action: "encryption.systemKey",
      outcome: "success",
      subscriptionId: account.subscriptionId,
      accountId: account.id,
      detail: { currentKeyIdentifier: wrappedBy, from: account.accountKey?.wrappedBy ?? null },
    },
  );
  return wrappedBy;
}
