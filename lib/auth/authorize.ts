import "server-only";
import { audit } from "@/lib/audit";
import type { Role } from "@/lib/db/generated/client";
import { DomainError } from "@/lib/errors";
import type { Principal } from "./principal";
import { rolesBySubscription } from "./role-store";

/** read: GET and LIST; write: create, change (encryption included) and delete. */
export type Action = "read" | "write";

const allowedRoles: Record<Action, readonly Role[]> = {
  read: ["Owner", "Contributor", "Reader"],
  write: ["Owner", "Contributor"],
};

export interface Access {
  principal: Principal;
  /** Subscriptions the principal may read, in its own tenant. */
  readable: string[];
  writable: string[];
}

export async function accessOf(principal: Principal): Promise<Access> {
  const roles = await rolesBySubscription(principal);
  const may = (action: Action) =>
    [...roles].filter(([, r]) => r.some((role) => allowedRoles[action].includes(role))).map(([id]) => id);
  return { principal, readable: may("read"), writable: may("write") };
}

/**
 * May this principal do this on this subscription's resources? Decided before any lookup, so the
 * answer is the same whether or not the named resource exists. A refusal is audited.
 */
export async function authorize(
  principal: Principal,
  request: { subscriptionId: string; action: Action; operation: string; target: string },
): Promise<void> {
  const { readable, writable } = await accessOf(principal);
  const allowed = (request.action === "read" ? readable : writable).includes(request.subscriptionId.toLowerCase());
  if (allowed) return;
  await audit({
    actor: principal.objectId,
    action: request.operation,
    outcome: "denied",
    subscriptionId: readable.includes(request.subscriptionId.toLowerCase())
      ? request.subscriptionId.toLowerCase()
      : undefined,
    detail: {
      target: request.target,
      reason: readable.includes(request.subscriptionId.toLowerCase())
        ? "read-only role"
        : "no role on the subscription",
    },
  });
  throw new DomainError(
    "AuthorizationFailed",
    `The client '${principal.objectId}' does not have authorization to perform '${request.operation}' over scope '${request.target}', or the scope is invalid.`,
  );
}
