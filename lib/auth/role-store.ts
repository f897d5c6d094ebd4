import "server-only";
import { AsyncLocalStorage } from "node:async_hooks";
import { cache } from "react";
import type { Role } from "@/lib/db/generated/client";
import { db } from "@/lib/db/client";

export async function tenantIsKnown(tenantId: string): Promise<boolean> {
  return (await db().subscription.count({ where: { tenantId } })) > 0;
}

type Roles = ReadonlyMap<string, readonly Role[]>;

async function readRoles(objectId: string, tenantId: string): Promise<Roles> {
  const rows = await db().roleAssignment.findMany({
    where: { principalId: objectId, subscription: { tenantId } },
    select: { subscriptionId: true, role: true },
  });
  const roles = new Map<string, Role[]>();
  for (const row of rows) roles.set(row.subscriptionId, [...(roles.get(row.subscriptionId) ?? []), row.role]);
  return roles;
}

// Read once per server render (React's cache, keyed by the ids): a page authorizes the account
// and then asks what the user may change, and each asked the database. Outside a render (route
// handlers, workers, tests) cache() calls through, so every call reads, unless the call runs in
// rolesReadOnce below.
const rolesOfRender = cache(readRoles);

const requestRoles = new AsyncLocalStorage<Map<string, Promise<Roles>>>();

/**
 * Runs `work` (one API request) with the roles of each principal read once: the request
 * authorizes before its body is read and again in each operation it calls, and each of those
 * asked the database.
 */
export function rolesReadOnce<T>(work: () => Promise<T>): Promise<T> {
  return requestRoles.run(new Map(), work);
}

/** The principal's roles per subscription, only in subscriptions of the principal's own tenant. */
export function rolesBySubscription({ objectId, tenantId }: { objectId: string; tenantId: string }): Promise<Roles> {
  const request = requestRoles.getStore();
  if (!request) return rolesOfRender(objectId, tenantId);
  const key = `${objectId}/${tenantId}`;
  let roles = request.get(key);
  if (!roles) {
    roles = readRoles(objectId, tenantId);
    request.set(key, roles);
  }
  return roles;
}
