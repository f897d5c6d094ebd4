import "server-only";
import { randomUUID } from "node:crypto";
import { audit } from "@/lib/audit";
import { issueSystemAssignedIdentity } from "@/lib/azure/managed-identities";
import { cacheAccountKey, createAccountKey, dropAccountKey, systemRoot } from "@/lib/keys/hierarchy";
import { accessOf, authorize, type Action } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { insertDefaultStreamingEndpoint } from "@/lib/media/streaming-endpoint-store";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { isUniqueViolation } from "./names";
import { assertAllowed, type Operation } from "./policy";
import type { AccountSettings } from "./settings";
import { modifiedBy } from "./system-data";
import { findAccount, insertAccount, listAccounts, removeAccount, type AccountRecord, type AccountRef } from "./store";
import { defaultMinimumTlsVersion } from "./tls-floor";
import type { RowPage } from "@/lib/db/row-page";

export const accountResourceId = (ref: AccountRef) =>
  `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Media/mediaservices/${ref.name}`;

export const accountNotFound = (ref: AccountRef) =>
  new DomainError(
    "ResourceNotFound",
    `The Resource 'Microsoft.Media/mediaservices/${ref.name}' under resource group '${ref.resourceGroup}' was not found.`,
  );

/** Accounts the principal may read: of one subscription (authorized), or of all its subscriptions. */
export async function listAccountsFor(
  principal: Principal,
  scope: { subscriptionId?: string; resourceGroup?: string } = {},
  page?: RowPage,
): Promise<AccountRecord[]> {
  if (!scope.subscriptionId) return listAccounts({ subscriptionIds: (await accessOf(principal)).readable, page });
  const target = scope.resourceGroup
    ? `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`
    : `/subscriptions/${scope.subscriptionId}`;
  await authorize(principal, {
    subscriptionId: scope.subscriptionId,
    action: "read",
    operation: "Microsoft.Media/mediaservices/read",
    target,
  });
  return listAccounts({ subscriptionIds: [scope.subscriptionId], resourceGroup: scope.resourceGroup, page });
}

export const getAccountFor = (principal: Principal, ref: AccountRef): Promise<AccountRecord> =>
  accountFor(principal, ref, {
    action: "read",
    operation: "Microsoft.Media/mediaservices/read",
    target: accountResourceId(ref),
    policy: "account.read",
  });

/**
 * The account behind an operation, once the caller may do it: the role on the subscription
 * (decided before any lookup, so a refusal says nothing of what exists), then the account's key
 * state (the operation policy: CustomerKeyInaccessible refuses all but reading, listing, deleting
 * and checking the key).
 */
export async function accountFor(
  principal: Principal,
  ref: AccountRef,
  request: { action: Action; operation: string; target: string; policy: Operation },
): Promise<AccountRecord> {
  await authorize(principal, {
    subscriptionId: ref.subscriptionId,
    action: request.action,
    operation: request.operation,
    target: request.target,
  });
  const account = await findAccount(ref);
  if (!account) throw accountNotFound(ref);
  assertAllowed(account, request.policy);
  return account;
}

/** The account, once the caller may change it (and its key state allows a change). */
export const writableAccountFor = (principal: Principal, ref: AccountRef): Promise<AccountRecord> =>
  accountFor(principal, ref, {
    action: "write",
    operation: "Microsoft.Media/mediaservices/write",
    target: accountResourceId(ref),
    policy: "account.update",
  });

export const authorizeWrite = (principal: Principal, ref: AccountRef) =>
  authorize(principal, {
    subscriptionId: ref.subscriptionId,
    action: "write",
    operation: "Microsoft.Media/mediaservices/write",
    target: accountResourceId(ref),
  });

export interface NewAccountInput extends AccountRef {
  location: string;
  /** SystemAssigned: Entra ID issues the account its own identity (to read a customer key later). */
  identityType: "None" | "SystemAssigned";
}

export async function createAccountFor(principal: Principal, input: NewAccountInput): Promise<AccountRecord> {
  await authorizeWrite(principal, input);
  const exists = () =>
    new DomainError(
      "Conflict",
      `An account named '${input.name}' already exists in resource group '${input.resourceGroup}'.`,
      "name",
    );
  if (await findAccount(input)) throw exists();
  return insertAudited(principal, input).catch((err: unknown) => {
    throw isUniqueViolation(err) ? exists() : err;
  });
}

/** Issues the identity (if asked) and the account key under the system key, then inserts both with the account. */
export async function insertAudited(
  principal: Principal,
  input: NewAccountInput,
  settings: Partial<AccountSettings> = {},
): Promise<AccountRecord> {
  const id = randomUUID();
  const identity =
    input.identityType === "SystemAssigned" ? await issueSystemAssignedIdentity(accountResourceId(input)) : null;
  const { plaintext, ...accountKey } = await createAccountKey(systemRoot());
  const created = await db().$transaction(async (tx) => {
    const actor = modifiedBy(principal);
    const account = await insertAccount(
      {
        ...input,
        id,
        identity,
        accountKey,
        settings: { minimumTlsVersion: defaultMinimumTlsVersion(), ...settings },
        actor,
      },
      tx,
    );
    await insertDefaultStreamingEndpoint(account, actor, tx);
    await audit(
      {
        actor: principal.objectId,
        action: "account.create",
        outcome: "success",
        subscriptionId: account.subscriptionId,
        accountId: account.id,
        detail: { name: account.name, location: account.location },
      },
      tx,
    );
    return account;
  });
  cacheAccountKey(id, accountKey.wrappedBy, plaintext);
  return created;
}

/** Deletes the account; false when there was none (ARM answers 204 then). */
export async function deleteAccountFor(principal: Principal, ref: AccountRef): Promise<boolean> {
  await authorize(principal, {
    subscriptionId: ref.subscriptionId,
    action: "write",
    operation: "Microsoft.Media/mediaservices/delete",
    target: accountResourceId(ref),
  });
  const account = await findAccount(ref);
  if (!account) return false;
  await db().$transaction(async (tx) => {
    await removeAccount(account.id, tx);
    await audit(
      {
        actor: principal.objectId,
        action: "account.delete",
        outcome: "success",
        subscriptionId: account.subscriptionId,
        accountId: account.id,
        detail: { name: account.name },
      },
      tx,
    );
  });
  dropAccountKey(account.id);
  return true;
}
