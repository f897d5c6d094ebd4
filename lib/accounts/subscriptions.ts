import "server-only";
import { db } from "@/lib/db/client";

/** Display names of subscriptions the caller already knows it may read. */
export async function subscriptionNames(ids: string[]): Promise<Map<string, string>> {
  const rows = await db().subscription.findMany({
    where: { id: { in: ids } },
    select: { id: true, displayName: true },
  });
  return new Map(rows.map((r) => [r.id, r.displayName]));
}
