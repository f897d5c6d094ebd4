import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { z } from "zod";
import { putOnce } from "@/lib/accounts/names";
import type { AccountRef } from "@/lib/accounts/store";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { db } from "@/lib/db/client";
import { DomainError, parseOrInvalid } from "@/lib/errors";
import { mediaAccountFor, resourceNotFound } from "./access";
import { BUILT_IN_PRESET, planOf, SUPPORTED_PRESETS } from "./encoding-presets";
import { resourceJson, type MediaScope } from "./resource";
import * as store from "./store";

/**
 * A transform's outputs keep their presets as given; each must be a preset this service runs
 * (lib/media/encoding-presets.ts): ffmpeg encodes to H.264/AAC, or the input is copied as it is.
 */
const TransformBody = z.object({
  properties: z.object({
    description: z.string().max(1024).optional(),
    outputs: z
      .array(
        z.object({
          preset: z.looseObject({
            "@odata.type": z
              .string()
              .regex(
                /^#Microsoft\.Media\.\w+$/,
                "preset needs an @odata.type such as #Microsoft.Media.BuiltInStandardEncoderPreset.",
              ),
          }),
          onError: z.enum(["StopProcessingJob", "ContinueJob"]).default("StopProcessingJob"),
          relativePriority: z.enum(["Low", "Normal", "High"]).default("Normal"),
        }),
      )
      .min(1)
      .max(20),
  }),
});

/** The outputs column, as far as the portal reads it: each output's preset. */
export const StoredTransformOutputs = z.array(
  z.object({ preset: z.looseObject({ "@odata.type": z.string(), presetName: z.string().optional() }) }),
);

const transformJson = (account: AccountRef, t: store.TransformRow) =>
  resourceJson(
    account,
    "transforms",
    t.name,
    {
      created: t.createdAt.toISOString(),
      lastModified: t.updatedAt.toISOString(),
      ...(t.description ? { description: t.description } : {}),
      outputs: t.outputs,
    },
    t,
  );

const access = (scope: MediaScope, name: string, request: Parameters<typeof mediaAccountFor>[2]) =>
  mediaAccountFor(scope.principal, { ...scope.ref, path: `transforms/${name}` }, request);
const readAccess = (scope: MediaScope, name: string) =>
  access(scope, name, { action: "read", armOperation: "transforms/read", policy: "media.read" });

export async function findTransform(accountId: string, name: string): Promise<store.TransformRow> {
  const transform = await store.findTransform({ accountId, name });
  if (!transform) throw resourceNotFound("transform", name);
  return transform;
}

export async function listTransformsFor(scope: MediaScope, page?: RowPage) {
  const account = await readAccess(scope, "");
  return (await store.listTransforms({ accountId: account.id, page })).map((t) => transformJson(account, t));
}

export async function getTransformFor(scope: MediaScope, name: string) {
  const account = await readAccess(scope, name);
  return transformJson(account, await findTransform(account.id, name));
}

export async function putTransformFor(scope: MediaScope, name: string, body: unknown) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "transforms/write",
    policy: "media.write",
  });
  const { properties } = parseOrInvalid(TransformBody, body, "body");
  properties.outputs.forEach(({ preset }, i) => {
    if (!planOf(preset))
      throw new DomainError(
        "PresetNotSupported",
        `${String(preset.presetName ?? preset["@odata.type"])} is not a preset this service runs; use ${BUILT_IN_PRESET} with presetName ${SUPPORTED_PRESETS.join(", ")}.`,
        `body.properties.outputs.${i}.preset`,
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
    return { json: transformJson(account, transform), created };
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
