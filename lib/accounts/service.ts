import "server-only";
import { audit } from "@/lib/audit";
import { accessOf, authorize } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { findAccount, insertAccount, listAccounts, removeAccount, type AccountRecord, type AccountRef } from "./store";

export const accountResourceId = (ref: AccountRef) =>
  `/subscriptions/${ref.subscriptionId}/resourceGroups/${ref.resourceGroup}/providers/Microsoft.Media/mediaservices/${ref.name}`;

const notFound = (ref: AccountRef) =>
  new DomainError("ResourceNotFound", `The Resource 'Microsoft.Media/mediaservices/${ref.name}' under resource group '${ref.resourceGroup}' was not found.`);

/** Accounts the principal may read: of one subscription (authorized), or of all its subscriptions. */
export async function listAccountsFor(principal: Principal, scope: { subscriptionId?: string; resourceGroup?: string } = {}): Promise<AccountRecord[]> {
  if (!scope.subscriptionId) return listAccounts({ subscriptionIds: (await accessOf(principal)).readable });
  const target = scope.resourceGroup ? `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}` : `/subscriptions/${scope.subscriptionId}`;
  await authorize(principal, { subscriptionId: scope.subscriptionId, action: "read", operation: "Microsoft.Media/mediaservices/read", target });
  return listAccounts({ subscriptionIds: [scope.subscriptionId], resourceGroup: scope.resourceGroup });
}

export async function getAccountFor(principal: Principal, ref: AccountRef): Promise<AccountRecord> {
  await authorize(principal, { subscriptionId: ref.subscriptionId, action: "read", operation: "Microsoft.Media/mediaservices/read", target: accountResourceId(ref) });
  const account = await findAccount(ref);
  if (!account) throw notFound(ref);
  return account;
}

const authorizeWrite = (principal: Principal, ref: AccountRef) =>
  authorize(principal, { subscriptionId: ref.subscriptionId, action: "write", operation: "Microsoft.Media/mediaservices/write", target: accountResourceId(ref) });

export async function createAccountFor(principal: Principal, input: AccountRef & { location: string }): Promise<AccountRecord> {
  await authorizeWrite(principal, input);
  if (await findAccount(input)) throw new DomainError("Conflict", `An account named '${input.name}' already exists in resource group '${input.resourceGroup}'.`, "name");
  return insertAudited(principal, input);
}

/** ARM's PUT: creates the account, or confirms an existing one (whose location cannot change). A write either way. */
export async function putAccountFor(principal: Principal, input: AccountRef & { location: string }): Promise<{ account: AccountRecord; created: boolean }> {
  await authorizeWrite(principal, input);
  const existing = await findAccount(input);
  if (!existing) return { account: await insertAudited(principal, input), created: true };
  if (existing.location !== input.location) throw new DomainError("InvalidRequestContent", `The account is in '${existing.location}'; its location cannot change.`, "location");
  return { account: existing, created: false };
}

/** ARM's PATCH: changes what the body names on an existing account. A write. */
export async function updateAccountFor(principal: Principal, ref: AccountRef): Promise<AccountRecord> {
  await authorizeWrite(principal, ref);
  const account = await findAccount(ref);
  if (!account) throw notFound(ref);
  return account;
}

async function insertAudited(principal: Principal, input: AccountRef & { location: string }): Promise<AccountRecord> {
  return db().$transaction(async (tx) => {
    const account = await insertAccount(input, tx);
    await audit({ actor: principal.objectId, action: "account.create", outcome: "success", subscriptionId: account.subscriptionId, accountId: account.id, detail: { name: account.name, location: account.location } }, tx);
    return account;
  });
}

/** Deletes the account; false when there was none (ARM answers 204 then). */
export async function deleteAccountFor(principal: Principal, ref: AccountRef): Promise<boolean> {
  await authorize(principal, { subscriptionId: ref.subscriptionId, action: "write", operation: "Microsoft.Media/mediaservices/delete", target: accountResourceId(ref) });
  const account = await findAccount(ref);
  if (!account) return false;
  await db().$transaction(async (tx) => {
    await removeAccount(account.id, tx);
    await audit({ actor: principal.objectId, action: "account.delete", outcome: "success", subscriptionId: account.subscriptionId, accountId: account.id, detail: { name: account.name } }, tx);
  });
  return true;
}
