/**
 * Demo data for `npm start`: idempotent, so every start may run it and keeps what users changed.
 */
import { nameKey } from "@/lib/accounts/names";
import type { Db } from "./client";
import { demoAutomationApp, demoRegion, demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";

export async function seedDemo(db: Db): Promise<void> {
  const { contosoMedia, fabrikamMedia } = demoSubscriptions;
  await db.$transaction(
    async (tx) => {
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
        const keys = { resourceGroupKey: nameKey(demoResourceGroup), nameKey: nameKey(account.name) };
        await tx.mediaAccount.upsert({
          where: { subscriptionId_resourceGroupKey_nameKey: { subscriptionId: account.subscriptionId, ...keys } },
          create: { ...account, ...keys, resourceGroup: demoResourceGroup, location: demoRegion },
          update: {},
        });
      }
    },
    { timeout: 30_000 },
  );
}
