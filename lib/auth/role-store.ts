import "server-only";
import type { Role } from "@/lib/db/generated/client";
import { db } from "@/lib/db/client";

export async function tenantIsKnown(tenantId: string): Promise<boolean> {
  return (await db().subscription.count({ where: { tenantId } })) > 0;
}

/** The principal's roles per subscription, only in subscriptions of the principal's own tenant. */
export async function rolesBySubscription({ objectId, tenantId }: { objectId: string; tenantId: string }): Promise<Map<string, Role[]>> {
  const rows = await db().roleAssignment.findMany({
    where: { principalId: objectId, subscription: { tenantId } },
    select: { subscriptionId: true, role: true },
  });
  const roles = new Map<string, Role[]>();
  for (const row of rows) roles.set(row.subscriptionId, [...(roles.get(row.subscriptionId) ?? []), row.role]);
  return roles;
}
