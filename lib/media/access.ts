import "server-only";
import type { Operation } from "@/lib/accounts/policy";
import { accountFor, accountResourceId } from "@/lib/accounts/service";
import type { AccountRecord, AccountRef } from "@/lib/accounts/store";
import type { Action } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { DomainError } from "@/lib/errors";

/** One media resource type as ARM names it, and its path under the account. */
export interface MediaRef extends AccountRef {
  /** e.g. "contentKeyPolicies/drm1" or "transforms/t1/jobs/j1". */
  path: string;
}

/** The account behind a media operation (accountFor), with ARM's operation name and target for the resource. */
export function mediaAccountFor(
  principal: Principal,
  ref: MediaRef,
  request: { action: Action; armOperation: string; policy: Operation },
): Promise<AccountRecord> {
  return accountFor(principal, ref, {
    action: request.action,
    operation: `Microsoft.Media/mediaservices/${request.armOperation}`,
    target: `${accountResourceId(ref)}/${ref.path}`,
    policy: request.policy,
  });
}

export const resourceNotFound = (type: string, name: string) =>
  new DomainError("ResourceNotFound", `The ${type} '${name}' was not found.`);
