import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { z } from "zod";
import { putOnce } from "@/lib/accounts/names";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { resolveMediaAccount, resourceNotFound, scopedAccountFor } from "./access";
import { BUILT_IN_PRESET, planOf, SUPPORTED_PRESETS } from "./encoding-presets";
import type { MediaList, MediaRecord, MediaScope, PutResult } from "./resource";
import * as store from "./store";

/** One output of a transform: its preset as given (lib/media/encoding-presets.ts says which run). */
export interface TransformOutput {
  preset: { "@odata.type": string; presetName?: unknown; [setting: string]: unknown };
  onError: "StopProcessingJob" | "ContinueJob";
  relativePriority: "Low" | "Normal" | "High";
}

/** A transform's settings, as a PUT gives them. */
export interface TransformInput {
  description?: string;
  outputs: TransformOutput[];
}

/** The outputs column, as far as the portal reads it: each output's preset. */
export const StoredTransformOutputs = z.array(
  z.object({ preset: z.looseObject({ "@odata.type": z.string(), presetName: z.string().optional() }) }),
);

const access = (scope: MediaScope, name: string, request: Parameters<typeof scopedAccountFor>[2]) =>
  scopedAccountFor(scope, `transforms/${name}`, request);
const readAccess = (scope: MediaScope, name: string) =>
  access(scope, name, { action: "read", armOperation: "transforms/read", policy: "media.read" });
const writeRequest = { action: "write", armOperation: "transforms/write", policy: "media.write" } as const;

/** The scope with its account authorized and read for writing the transform: the calls below reuse it. */
export const resolveTransformWrite = (scope: MediaScope, name: string) =>
  resolveMediaAccount(scope, `transforms/${name}`, writeRequest);

/** ARM's update (PATCH) of a transform needs one that exists: ResourceNotFound otherwise. */
export async function requireTransformFor(scope: MediaScope, name: string): Promise<void> {
  await findTransform((await access(scope, name, writeRequest)).id, name);
}

export async function findTransform(accountId: string, name: string): Promise<store.TransformRow> {
  const transform = await store.findTransform({ accountId, name });
  if (!transform) throw resourceNotFound("transform", name);
  return transform;
}

export async function listTransformsFor(scope: MediaScope, page?: RowPage): Promise<MediaList<store.TransformRow>> {
  const account = await readAccess(scope, "");
  return { account, rows: await store.listTransforms({ accountId: account.id, page }) };
}

export async function getTransformFor(scope: MediaScope, name: string): Promise<MediaRecord<store.TransformRow>> {
  const account = await readAccess(scope, name);
  return { account, row: await findTransform(account.id, name) };
}

export async function putTransformFor(
  scope: MediaScope,
  name: string,
  properties: TransformInput,
): Promise<PutResult<store.TransformRow>> {
  const account = await access(scope, name, writeRequest);
  properties.outputs.forEach(({ preset }, i) => {
    if (!planOf(preset))
      throw new DomainError(
        "PresetNotSupported",
        `${String(preset.presetName ?? preset["@odata.type"])} is not a preset this service runs; use ${BUILT_IN_PRESET} with presetName ${SUPPORTED_PRESETS.join(", ")}.`,
        `outputs.${i}.preset`,
      );
  });
  const fields = { description: properties.description ?? null, outputs: properties.outputs as object[] };
  return putOnce(async () => {
    const { row: transform, created } = await store.putTransform({
      accountId: account.id,
      name,
      fields,
      actor: modifiedBy(scope.principal),
    });
    await audit({
      actor: scope.principal.objectId,
      action: "transform.write",
      outcome: "success",
      subscriptionId: account.subscriptionId,
      accountId: account.id,
      detail: { name: transform.name, outputs: properties.outputs.length },
    });
    return { account, row: transform, created };
  });
}

/** Deletes the transform with its jobs (and their sealed input URLs). */
export async function deleteTransformFor(scope: MediaScope, name: string): Promise<boolean> {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "transforms/delete",
    policy: "media.write",
  });
  return db().$transaction(async (tx) => {
    const deleted = await store.deleteTransform({ accountId: account.id, name }, tx);
    if (!deleted) return false;
    await audit(
      {
        actor: scope.principal.objectId,
        action: "transform.delete",
        outcome: "success",
        subscriptionId: account.subscriptionId,
        accountId: account.id,
        detail: { name, jobs: deleted.jobs },
      },
      tx,
    );
    return true;
  });
}
