/**
 * Demo data for `npm start`: idempotent, so every start may run it and keeps what users changed.
 */
import { nameKey } from "@/lib/accounts/names";
import type { Db } from "./client";
import { demoMedia } from "@/lib/demo/media";
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
  // Its own transaction, all or nothing, with room for a slow first start.
  await db.$transaction((tx) => seedDemoMedia(tx, contosoMedia.id), { timeout: 30_000 });
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** The demo media of lib/demo/media.ts, created once: what a user changed or deleted stays so. */
async function seedDemoMedia(tx: Tx, subscriptionId: string): Promise<void> {
  const { account: name, transform, asset, file, job, policy, locator } = demoMedia;
  const account = await tx.mediaAccount.findUniqueOrThrow({
    where: {
      subscriptionId_resourceGroupKey_nameKey: {
        subscriptionId,
        resourceGroupKey: nameKey(demoResourceGroup),
        nameKey: nameKey(name),
      },
    },
    select: { id: true },
  });
  // Seeded once: a second start finds the transform and leaves everything as the user left it.
  if (await tx.transform.findUnique({ where: { id: transform.id }, select: { id: true } })) return;
  const accountId = account.id;
  const named = (n: string) => ({ accountId, name: n, nameKey: nameKey(n) });
  await tx.transform.create({
    data: {
      id: transform.id,
      ...named(transform.name),
      outputs: [
        {
          preset: { "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName: transform.preset },
          onError: "StopProcessingJob",
          relativePriority: "Normal",
        },
      ],
    },
  });
  await tx.asset.create({
    data: { id: asset.id, ...named(asset.name), description: asset.description, container: `asset-${asset.id}` },
  });
  await tx.assetFile.create({
    data: {
      assetId: asset.id,
      name: file.name,
      size: BigInt(file.content.length),
      sha256: file.sha256,
      content: new Uint8Array(file.content),
    },
  });
  const finished = new Date();
  await tx.job.create({
    data: {
      id: job.id,
      accountId,
      transformId: transform.id,
      name: job.name,
      nameKey: nameKey(job.name),
      input: job.input,
      outputs: [{ assetName: asset.name }],
      state: "Finished",
      progress: 100,
      startTime: new Date(finished.getTime() - 3000),
      endTime: finished,
      attempts: 1,
    },
  });
  await tx.contentKeyPolicy.create({
    data: {
      id: policy.id,
      ...named(policy.name),
      description: "Anyone may receive the key: for demos only",
      options: [
        {
          policyOptionId: policy.optionId,
          name: "open",
          configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
          restriction: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyOpenRestriction" },
        },
      ],
    },
  });
  await tx.streamingLocator.create({
    data: {
      ...named(locator.name),
      streamingLocatorId: locator.id,
      assetName: asset.name,
      streamingPolicyName: locator.policy,
      filters: [],
      contentKeys: [],
    },
  });
}
