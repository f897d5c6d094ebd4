/**
 * Demo data for `npm start`: idempotent, so every start may run it and keeps what users changed.
 */
import type { Db } from "./client";
import { demoAutomationApp, demoRegion, demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";

export async function seedDemo(db: Db): Promise<void> {
  const { contosoMedia, fabrikamMedia } = demoSubscriptions;
  await db.$transaction(async (tx) => {
    for (const sub of [contosoMedia, fabrikamMedia]) {
      await tx.subscription.upsert({ where: { id: sub.id }, create: sub, update: {} });
    }
    const assignments = [
      { subscriptionId: contosoMedia.id, principalId: demoUsers.owner.objectId, role: "Owner" as const },
      { subscriptionId: contosoMedia.id, principalId: demoUsers.reader.objectId, role: "Reader" as const },
      { subscriptionId: fabrikamMedia.id, principalId: demoUsers.outsider.objectId, role: "Owner" as const },
      { subscriptionId: contosoMedia.id, principalId: demoAutomationApp.objectId, role: "Owner" as const },
    ];
    for (const a of assignments) {
      await tx.roleAssignment.upsert({
        where: { subscriptionId_principalId_role: a },
        create: a,
        update: {},
      });
    }
    const accounts = [
      { subscriptionId: contosoMedia.id, name: "contosomedia" },
      { subscriptionId: fabrikamMedia.id, name: "fabrikammedia" },
    ];
    for (const account of accounts) {
      await tx.mediaAccount.upsert({
        where: { subscriptionId_resourceGroup_name: { ...account, resourceGroup: demoResourceGroup } },
        create: { ...account, resourceGroup: demoResourceGroup, location: demoRegion },
        update: {},
      });
    }
  });
}
