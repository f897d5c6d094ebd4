import "server-only";
import { assertAllowed, type Operation } from "@/lib/accounts/policy";
import { accountResourceId } from "@/lib/accounts/service";
import { findAccount, type AccountRecord, type AccountRef } from "@/lib/accounts/store";
import { authorize, type Action } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { DomainError } from "@/lib/errors";

/** One media resource type as ARM names it, and its path under the account. */
export interface MediaRef extends AccountRef {
  /** e.g. "contentKeyPolicies/drm1" or "transforms/t1/jobs/j1". */
  path: string;
}

/**
 * The account behind a media operation, once the caller may do it: the role on the subscription
 * (decided before any lookup, so a refusal says nothing of what exists), then the account's key
 * state (CustomerKeyInaccessible refuses everything but reading, listing and deleting the account).
 */
export async function mediaAccountFor(principal: Principal, ref: MediaRef, request: { action: Action; armOperation: string; policy: Operation }): Promise<AccountRecord> {
  const target = `${accountResourceId(ref)}/${ref.path}`;
  await authorize(principal, { subscriptionId: ref.subscriptionId, action: request.action, operation: `Microsoft.Media/mediaservices/${request.armOperation}`, target });
  const account = await findAccount(ref);
  if (!account) throw new DomainError("ResourceNotFound", `The Resource 'Microsoft.Media/mediaservices/${ref.name}' under resource group '${ref.resourceGroup}' was not found.`);
  assertAllowed(account, request.policy);
  return account;
}

export const notFound = (type: string, name: string) => new DomainError("ResourceNotFound", `The ${type} '${name}' was not found.`);
