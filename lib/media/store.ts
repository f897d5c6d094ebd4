import "server-only";
import { nameKey } from "@/lib/accounts/names";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { pageArgs, type RowPage } from "@/lib/db/row-page";
import { createdByColumns, modifiedByColumns, systemDataSelect, type Actor } from "@/lib/accounts/system-data";
import { deleteSecretsOf, replaceSecrets } from "./secrets";

/**
 * The media resources of an account (assets, content key policies, streaming locators,
 * transforms, jobs) and the rules their rows keep: a resource is found by its name key
 * (case-insensitive, exact) within its account or transform, and a resource goes together with
 * its sealed secrets, inside the caller's transaction. Authorization is the caller's.
 */
type Tx = Prisma.TransactionClient;

export interface InAccount {
  accountId: string;
  /** One page of the list (lib/arm/paging.ts); without it, the whole list by name. */
  page?: RowPage;
}
export interface Named extends InAccount {
  name: string;
}

const byName = ({ accountId, name }: Named) => ({ accountId_nameKey: { accountId, nameKey: nameKey(name) } });

/** Updates the resource of that name (in any case), or creates it under the name given. */
async function putByName<T>(
  existing: { id: string } | null,
  update: (id: string) => Promise<T>,
  create: () => Promise<T>,
): Promise<{ row: T; created: boolean }> {
  return existing ? { row: await update(existing.id), created: false } : { row: await create(), created: true };
}

// Assets

const assetSelect = {
  ...systemDataSelect,
  id: true,
  name: true,
  alternateId: true,
  description: true,
  container: true,
  createdAt: true,
  updatedAt: true,
  files: { select: { name: true, size: true, sha256: true }, orderBy: { name: "asc" } },
} satisfies Prisma.AssetSelect;
export type AssetRow = Prisma.AssetGetPayload<{ select: typeof assetSelect }>;

export const listAssets = ({ accountId, page }: InAccount): Promise<AssetRow[]> =>
  db().asset.findMany({ ...pageArgs({ accountId }, page, { name: "asc" as const }), select: assetSelect });

export const findAsset = (where: Named): Promise<AssetRow | null> =>
  db().asset.findUnique({ where: byName(where), select: assetSelect });

/** The asset's name as created (locators and jobs store it so), or null when there is none. */
export const assetNameOf = async (where: Named): Promise<string | null> =>
  (await db().asset.findUnique({ where: byName(where), select: { name: true } }))?.name ?? null;

/** The assets of these names (in any case), with their names as created. */
export const assetsNamed = (
  { accountId, names }: InAccount & { names: string[] },
  tx: Tx = db(),
): Promise<{ id: string; name: string; nameKey: string }[]> =>
  tx.asset.findMany({
    where: { accountId, nameKey: { in: names.map(nameKey) } },
    select: { id: true, name: true, nameKey: true },
  });

/** The files of an asset, by name, with their sizes (not their content). */
export const assetFiles = ({
  accountId,
  assetName,
}: InAccount & { assetName: string }): Promise<{ name: string; size: bigint }[]> =>
  db().assetFile.findMany({
    where: { asset: { accountId, nameKey: nameKey(assetName) } },
    select: { name: true, size: true },
    orderBy: { name: "asc" },
  });

/** One file of an asset with its content (an encoded rendition, a manifest), or null when there is none. */
export const readAssetFile = ({
  accountId,
  assetName,
  fileName,
}: InAccount & { assetName: string; fileName: string }): Promise<{
  name: string;
  size: bigint;
  sha256: string;
  content: Uint8Array;
} | null> =>
  db().assetFile.findFirst({
    where: { name: fileName, asset: { accountId, nameKey: nameKey(assetName) } },
    select: { name: true, size: true, sha256: true, content: true },
  });

/** Writes the files into each of these assets (by name, in any case), replacing files of the same name. */
export async function writeAssetFiles(
  {
    accountId,
    assetNames,
    files,
  }: InAccount & { assetNames: string[]; files: { name: string; size: number; sha256: string; content: Buffer }[] },
  tx: Tx,
): Promise<void> {
  for (const asset of await assetsNamed({ accountId, names: assetNames }, tx)) {
    for (const f of files) {
      const data = { size: BigInt(f.size), sha256: f.sha256, content: new Uint8Array(f.content) };
      await tx.assetFile.upsert({
        where: { assetId_name: { assetId: asset.id, name: f.name } },
        create: { assetId: asset.id, name: f.name, ...data },
        update: data,
      });
    }
  }
}

export type AssetFields = { alternateId: string | null; description: string | null; container?: string };

/** A new asset's container is named after `id` unless the fields name one. */
export async function putAsset({
  id,
  fields,
  actor,
  ...where
}: Named & { id: string; fields: AssetFields; actor: Actor }): Promise<{ row: AssetRow; created: boolean }> {
  return putByName(
    await db().asset.findUnique({ where: byName(where), select: { id: true } }),
    (existing) =>
      db().asset.update({
        where: { id: existing },
        data: { ...fields, ...modifiedByColumns(actor) },
        select: assetSelect,
      }),
    () =>
      db().asset.create({
        data: {
          id,
          accountId: where.accountId,
          name: where.name,
          nameKey: nameKey(where.name),
          container: `asset-${id}`,
          ...fields,
          ...createdByColumns(actor),
        },
        select: assetSelect,
      }),
  );
}

/** Deletes the asset with its streaming locators and their content keys, as Azure does; null when there was none. */
export async function deleteAsset(where: Named, tx: Tx): Promise<{ streamingLocators: number } | null> {
  const asset = await tx.asset.findUnique({ where: byName(where), select: { id: true, name: true } });
  if (!asset) return null;
  // Locators store the asset's display name.
  const locators = await tx.streamingLocator.findMany({
    where: { accountId: where.accountId, assetName: asset.name },
    select: { id: true },
  });
  await deleteSecretsOf(
    tx,
    where.accountId,
    locators.map((l) => l.id),
  );
  await tx.streamingLocator.deleteMany({ where: { id: { in: locators.map((l) => l.id) } } });
  await tx.asset.delete({ where: { id: asset.id } });
  return { streamingLocators: locators.length };
}

// Transforms

const transformSelect = {
  ...systemDataSelect,
  id: true,
  name: true,
  description: true,
  outputs: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.TransformSelect;
export type TransformRow = Prisma.TransformGetPayload<{ select: typeof transformSelect }>;

export const listTransforms = ({ accountId, page }: InAccount): Promise<TransformRow[]> =>
  db().transform.findMany({ ...pageArgs({ accountId }, page, { name: "asc" as const }), select: transformSelect });

export const findTransform = (where: Named): Promise<TransformRow | null> =>
  db().transform.findUnique({ where: byName(where), select: transformSelect });

export async function putTransform({
  fields,
  actor,
  ...where
}: Named & { fields: { description: string | null; outputs: object[] }; actor: Actor }): Promise<{
  row: TransformRow;
  created: boolean;
}> {
  return putByName(
    await db().transform.findUnique({ where: byName(where), select: { id: true } }),
    (id) =>
      db().transform.update({
        where: { id },
        data: { ...fields, ...modifiedByColumns(actor) },
        select: transformSelect,
      }),
    () =>
      db().transform.create({
        data: {
          accountId: where.accountId,
          name: where.name,
          nameKey: nameKey(where.name),
          ...fields,
          ...createdByColumns(actor),
        },
        select: transformSelect,
      }),
  );
}

/** Deletes the transform with its jobs and their sealed input URLs; null when there was none. */
export async function deleteTransform(where: Named, tx: Tx): Promise<{ jobs: number } | null> {
  const transform = await tx.transform.findUnique({
    where: byName(where),
    select: { id: true, jobs: { select: { id: true } } },
  });
  if (!transform) return null;
  await deleteSecretsOf(
    tx,
    where.accountId,
    transform.jobs.map((j) => j.id),
  );
  await tx.transform.delete({ where: { id: transform.id } });
  return { jobs: transform.jobs.length };
}

// Content key policies

const policySelect = {
  ...systemDataSelect,
  id: true,
  name: true,
  description: true,
  options: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.ContentKeyPolicySelect;
export type PolicyRow = Prisma.ContentKeyPolicyGetPayload<{ select: typeof policySelect }>;

export const listContentKeyPolicies = ({ accountId, page }: InAccount): Promise<PolicyRow[]> =>
  db().contentKeyPolicy.findMany({ ...pageArgs({ accountId }, page, { name: "asc" as const }), select: policySelect });

export const findContentKeyPolicy = (where: Named): Promise<PolicyRow | null> =>
  db().contentKeyPolicy.findUnique({ where: byName(where), select: policySelect });

/** The policy's name as created (locators store it so), or null when there is none. */
export const contentKeyPolicyNameOf = async (where: Named): Promise<string | null> =>
  (await db().contentKeyPolicy.findUnique({ where: byName(where), select: { name: true } }))?.name ?? null;

export const contentKeyPolicyIdOf = async (where: Named): Promise<string | null> =>
  (await db().contentKeyPolicy.findUnique({ where: byName(where), select: { id: true } }))?.id ?? null;

/** Creates the policy as `id`, or updates it, with its sealed token keys replacing the ones it had. */
export async function putContentKeyPolicy(
  {
    id,
    created,
    fields,
    sealed,
    actor,
    ...where
  }: Named & {
    id: string;
    created: boolean;
    fields: { description: string | null; options: object[] };
    sealed: Prisma.AccountSecretCreateManyInput[];
    actor: Actor;
  },
  tx: Tx,
): Promise<PolicyRow> {
  const row = created
    ? await tx.contentKeyPolicy.create({
        data: {
          id,
          accountId: where.accountId,
          name: where.name,
          nameKey: nameKey(where.name),
          ...fields,
          ...createdByColumns(actor),
        },
        select: policySelect,
      })
    : await tx.contentKeyPolicy.update({
        where: { id },
        data: { ...fields, ...modifiedByColumns(actor) },
        select: policySelect,
      });
  await replaceSecrets(tx, where.accountId, id, sealed);
  return row;
}

/** Deletes the policy with its token keys unless a streaming locator uses it: null when there was none, else the locators using it (none: deleted). */
export async function deleteContentKeyPolicy(where: Named, tx: Tx): Promise<{ usedBy: number } | null> {
  const policy = await tx.contentKeyPolicy.findUnique({ where: byName(where), select: { id: true, name: true } });
  if (!policy) return null;
  // Locators store the policy's display name.
  const usedBy = await tx.streamingLocator.count({
    where: { accountId: where.accountId, defaultContentKeyPolicyName: policy.name },
  });
  if (usedBy) return { usedBy };
  await deleteSecretsOf(tx, where.accountId, [policy.id]);
  await tx.contentKeyPolicy.delete({ where: { id: policy.id } });
  return { usedBy: 0 };
}

// Streaming locators

const locatorSelect = {
  ...systemDataSelect,
  id: true,
  streamingLocatorId: true,
  name: true,
  assetName: true,
  streamingPolicyName: true,
  defaultContentKeyPolicyName: true,
  startTime: true,
  endTime: true,
  alternativeMediaId: true,
  filters: true,
  contentKeys: true,
  createdAt: true,
} satisfies Prisma.StreamingLocatorSelect;
export type LocatorRow = Prisma.StreamingLocatorGetPayload<{ select: typeof locatorSelect }>;

/** The account's locators, or those of one asset (by its name as created). */
export const listStreamingLocators = ({
  accountId,
  assetName,
  page,
}: InAccount & { assetName?: string }): Promise<LocatorRow[]> =>
  db().streamingLocator.findMany({
    ...pageArgs({ accountId, ...(assetName !== undefined ? { assetName } : {}) }, page, { name: "asc" as const }),
    select: locatorSelect,
  });

export const findStreamingLocator = (where: Named): Promise<LocatorRow | null> =>
  db().streamingLocator.findUnique({ where: byName(where), select: locatorSelect });

export const streamingLocatorExists = async (where: Named): Promise<boolean> =>
  (await db().streamingLocator.findUnique({ where: byName(where), select: { id: true } })) !== null;

export type NewStreamingLocator = Omit<
  Prisma.StreamingLocatorUncheckedCreateInput,
  "nameKey" | "contentKeys" | keyof ReturnType<typeof createdByColumns>
> & { contentKeys: object[]; actor: Actor };

export const insertStreamingLocator = ({ actor, ...data }: NewStreamingLocator, tx: Tx): Promise<LocatorRow> =>
  tx.streamingLocator.create({
    data: { ...data, nameKey: nameKey(data.name), ...createdByColumns(actor) },
    select: locatorSelect,
  });

/** Deletes the locator with its content keys; false when there was none. */
export async function deleteStreamingLocator(where: Named, tx: Tx): Promise<boolean> {
  const locator = await tx.streamingLocator.findUnique({ where: byName(where), select: { id: true } });
  if (!locator) return false;
  await deleteSecretsOf(tx, where.accountId, [locator.id]);
  await tx.streamingLocator.delete({ where: { id: locator.id } });
  return true;
}

// Jobs

const jobSelect = {
  ...systemDataSelect,
  id: true,
  name: true,
  description: true,
  input: true,
  outputs: true,
  priority: true,
  correlationData: true,
  state: true,
  progress: true,
  error: true,
  startTime: true,
  endTime: true,
  createdAt: true,
  updatedAt: true,
  transform: { select: { name: true } },
} satisfies Prisma.JobSelect;
export type JobRow = Prisma.JobGetPayload<{ select: typeof jobSelect }>;

export const listJobs = ({ transformId, page }: { transformId: string; page?: RowPage }): Promise<JobRow[]> =>
  db().job.findMany({ ...pageArgs({ transformId }, page, { createdAt: "desc" as const }), select: jobSelect });

/** A transform's job by name (case-insensitive, exact). */
export const findJob = ({ transformId, name }: { transformId: string; name: string }): Promise<JobRow | null> =>
  db().job.findUnique({ where: { transformId_nameKey: { transformId, nameKey: nameKey(name) } }, select: jobSelect });

export type NewJob = Omit<
  Prisma.JobUncheckedCreateInput,
  "nameKey" | "input" | "outputs" | "correlationData" | keyof ReturnType<typeof createdByColumns>
> & {
  input: object;
  outputs: object[];
  correlationData: Record<string, string>;
  actor: Actor;
};

export const insertJob = ({ actor, ...data }: NewJob, tx: Tx): Promise<JobRow> =>
  tx.job.create({ data: { ...data, nameKey: nameKey(data.name), ...createdByColumns(actor) }, select: jobSelect });

export const updateJob = ({
  id,
  actor,
  ...data
}: {
  id: string;
  actor: Actor;
  description?: string;
  priority?: string;
}): Promise<JobRow> =>
  db().job.update({ where: { id }, data: { ...data, ...modifiedByColumns(actor) }, select: jobSelect });

/** Deletes the job with its sealed input URLs. */
export async function deleteJob({ accountId, id }: InAccount & { id: string }, tx: Tx): Promise<void> {
  await deleteSecretsOf(tx, accountId, [id]);
  await tx.job.delete({ where: { id } });
}
