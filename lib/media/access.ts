import "server-only";
import type { Operation } from "@/lib/accounts/policy";
import { accountFor, accountResourceId } from "@/lib/accounts/service";
import type { AccountRecord, AccountRef } from "@/lib/accounts/store";
import type { Action } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { DomainError } from "@/lib/errors";
import type { MediaScope } from "./resource";

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

type MediaRequest = Parameters<typeof mediaAccountFor>[2];

/**
 * The account of `scope` for one request on the resource at `path`: the one `resolveMediaAccount`
 * already authorized and read for that same request, or authorized and read now. An ARM write
 * resolves it before it reads the body, and passes it down, so a PUT or PATCH does both once.
 */
export function scopedAccountFor(scope: MediaScope, path: string, request: MediaRequest): Promise<AccountRecord> {
  const r = scope.resolved;
  if (
    r &&
    r.ref === scope.ref &&
    r.path === path &&
    r.action === request.action &&
    r.armOperation === request.armOperation &&
    r.policy === request.policy
  )
    return Promise.resolve(r.account);
  return mediaAccountFor(scope.principal, { ...scope.ref, path }, request);
}

/** The scope with its account authorized and read for `request` on `path`, for scopedAccountFor to reuse. */
export async function resolveMediaAccount(scope: MediaScope, path: string, request: MediaRequest): Promise<MediaScope> {
  const account = await mediaAccountFor(scope.principal, { ...scope.ref, path }, request);
  return { ...scope, resolved: { ref: scope.ref, path, ...request, account } };
}

export const resourceNotFound = (type: string, name: string) =>
  new DomainError("ResourceNotFound", `The ${type} '${name}' was not found.`);
