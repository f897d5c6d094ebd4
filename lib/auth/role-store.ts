import "server-only";
import { cache } from "react";
import type { Role } from "@/lib/db/generated/client";
import { db } from "@/lib/db/client";

export async function tenantIsKnown(tenantId: string): Promise<boolean> {
  return (await db().subscription.count({ where: { tenantId } })) > 0;
}

// Read once per server render (React's cache, keyed by the ids): a page authorizes the account
// and then asks what the user may change, and each asked the database. Outside a render (route
// handlers, workers, tests) cache() calls through, so every call reads.
const rolesOf = cache(async (objectId: string, tenantId: string): Promise<ReadonlyMap<string, readonly Role[]>> => {
  const rows = await db().roleAssignment.findMany({
    where: { principalId: objectId, subscription: { tenantId } },
    select: { subscriptionId: true, role: true },
  });
  const roles = new Map<string, Role[]>();
  for (const row of rows) roles.set(row.subscriptionId, [...(roles.get(row.subscriptionId) ?? []), row.role]);
  return roles;
});

/** The principal's roles per subscription, only in subscriptions of the principal's own tenant. */
export const rolesBySubscription = ({ objectId, tenantId }: { objectId: string; tenantId: string }) =>
  rolesOf(objectId, tenantId);
