import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { isUniqueViolation, nameKey } from "@/lib/accounts/names";
import type { AccountRef } from "@/lib/accounts/store";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { accountKey } from "@/lib/keys/hierarchy";
import { db } from "@/lib/db/client";
import { DomainError, parseOrInvalid } from "@/lib/errors";
import { mediaAccountFor, resourceNotFound } from "./access";
import { InvalidJobInput, inputUrls, redactedInput, type JobInputUrls } from "./job-input";
import * as jobStore from "./job-store";
import { resourceJson, type MediaScope } from "./resource";
import { insertSecrets, sealSecrets } from "./secrets";
import * as store from "./store";
import { findTransform, StoredTransformOutputs } from "./transforms";

const JOB_INPUT_HTTP = "#Microsoft.Media.JobInputHttp";
const JOB_INPUT_ASSET = "#Microsoft.Media.JobInputAsset";
const JOB_OUTPUT_ASSET = "#Microsoft.Media.JobOutputAsset";

/** A file of an input asset, by the name it has in the asset: one name, no path. */
const AssetFileName = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[^/\\\u0000-\u001f\u007f]+$/, "A file of an asset is named without a path or control characters.");

const Priority = z.enum(["Low", "Normal", "High"]);
const JobBody = z.object({
  properties: z.object({
    description: z.string().max(1024).optional(),
    input: z.discriminatedUnion(
      "@odata.type",
      [
        z.object({
          "@odata.type": z.literal(JOB_INPUT_HTTP),
          baseUri: z.string().max(4096).optional(),
          files: z.array(z.string().min(1).max(4096)).min(1).max(10),
          label: z.string().max(256).optional(),
        }),
        // The asset's own files: clips (start, end) and input definitions are not offered, so they are refused, not ignored.
        z.strictObject({
          "@odata.type": z.literal(JOB_INPUT_ASSET),
          assetName: z.string().min(1).max(260),
          files: z.array(AssetFileName).max(10).optional(),
          inputDefinitions: z.array(z.never()).max(0, "Input definitions are not offered.").optional(),
          label: z.string().max(256).optional(),
        }),
      ],
      `This service runs ${JOB_INPUT_HTTP} (baseUri and files) and ${JOB_INPUT_ASSET} (assetName, files) inputs.`,
    ),
    outputs: z
      .array(
        z.object({
          "@odata.type": z.literal(JOB_OUTPUT_ASSET, `Outputs are ${JOB_OUTPUT_ASSET}.`),
          assetName: z.string().min(1),
          label: z.string().max(256).optional(),
        }),
      )
      .min(1)
      .max(20),
    priority: Priority.default("Normal"),
    correlationData: z.record(z.string(), z.string()).default({}),
  }),
});
const JobPatch = z.object({
  properties: z.object({ description: z.string().max(1024).optional(), priority: Priority.optional() }).default({}),
});

/** The Json columns of a job: outputs, error, and the input without its query strings. */
export const StoredJobOutputs = z.array(z.object({ assetName: z.string(), label: z.string().optional() }));
export const StoredJobError = z.object({
  code: z.string(),
  message: z.string(),
  category: z.string(),
  retry: z.string(),
});
export type StoredJobError = z.infer<typeof StoredJobError>;
/** The input column: a JobInputHttp without its query strings, or a JobInputAsset (its asset's name as created). */
export const StoredJobInput = z.union([
  z.object({
    "@odata.type": z.literal(JOB_INPUT_ASSET),
    assetName: z.string(),
    /** Empty: every file of the asset. */
    files: z.array(z.string()),
    label: z.string().optional(),
  }),
  z.object({
    baseUri: z.string().optional(),
    files: z.array(z.string()),
    label: z.string().optional(),
  }),
]);
export type StoredJobInput = z.infer<typeof StoredJobInput>;

/**
 * Azure's label for a job output given none: `{preset}_{index}`, the preset's type name (the
 * `@odata.type` without its namespace) and the output's index in the job (the same as its transform
 * output's).
 */
function defaultOutputLabel(preset: { "@odata.type": string }, index: number): string {
  return `${preset["@odata.type"].replace(/^#Microsoft\.Media\./, "")}_${index}`;
}

/** The input as the API shows it. */
const inputJson = (input: StoredJobInput) =>
  "assetName" in input ? { ...input, inputDefinitions: [] } : { "@odata.type": JOB_INPUT_HTTP, ...input };

/** A job as the API shows it (its transform and account in their display case); its input never carries a query string. */
function jobJson(account: AccountRef, j: store.JobRow) {
  const times = {
    ...(j.startTime ? { startTime: j.startTime.toISOString() } : {}),
    ...(j.endTime ? { endTime: j.endTime.toISOString() } : {}),
  };
  const error = j.error ? { error: { ...StoredJobError.parse(j.error), details: [] } } : {};
  return resourceJson(
    account,
    `transforms/${j.transform.name}/jobs`,
    j.name,
    {
      created: j.createdAt.toISOString(),
      state: j.state,
      ...(j.description ? { description: j.description } : {}),
      input: inputJson(StoredJobInput.parse(j.input)),
      lastModified: j.updatedAt.toISOString(),
      outputs: StoredJobOutputs.parse(j.outputs).map((o) => ({
        "@odata.type": JOB_OUTPUT_ASSET,
        ...o,
        state: j.state,
        progress: j.progress,
        ...times,
        ...error,
      })),
      priority: j.priority,
      correlationData: j.correlationData,
      ...times,
    },
    j,
  );
}

type JobInputBody = z.infer<typeof JobBody>["properties"]["input"];

/**
 * What a job's input is stored as: an HTTP input's URLs checked (they are sealed apart, and shown
 * without query strings), or an asset input's asset, which must be one of the account's (by name,
 * in any case, stored as created). An asset's files are read when the job runs, as in Azure.
 */
async function storedInputOf(
  accountId: string,
  input: JobInputBody,
): Promise<{ stored: StoredJobInput; urls?: JobInputUrls }> {
  const label = input.label ? { label: input.label } : {};
  if (input["@odata.type"] === JOB_INPUT_ASSET) {
    const assetName = await store.assetNameOf({ accountId, name: input.assetName });
    if (!assetName)
      throw new DomainError(
        "InvalidRequestContent",
        `body.properties.input.assetName: the input asset '${input.assetName}' was not found in this account: create it first (a job reads assets of its own account only).`,
        "body.properties.input.assetName",
      );
    return { stored: { "@odata.type": JOB_INPUT_ASSET, assetName, files: input.files ?? [], ...label } };
  }
  const urls: JobInputUrls = { ...(input.baseUri ? { baseUri: input.baseUri } : {}), files: input.files };
  try {
    inputUrls(urls);
  } catch (err) {
    if (err instanceof InvalidJobInput) {
      const field = `body.properties.input.${err.field}`;
      throw new DomainError("InvalidRequestContent", `${field}: ${err.message}`, field);
    }
    throw err;
  }
  return { stored: { ...redactedInput(urls), ...label }, urls };
}

const access = (scope: MediaScope, name: string, request: Parameters<typeof mediaAccountFor>[2]) =>
  mediaAccountFor(scope.principal, { ...scope.ref, path: `transforms/${scope.parent}/jobs/${name}` }, request);
const readAccess = (scope: MediaScope, name: string) =>
  access(scope, name, { action: "read", armOperation: "transforms/jobs/read", policy: "media.read" });

/** The job, or null; an unknown transform is ResourceNotFound. */
async function lookupJob(accountId: string, transformName: string, name: string): Promise<store.JobRow | null> {
  const transform = await findTransform(accountId, transformName);
  return store.findJob({ transformId: transform.id, name });
}

async function findJob(accountId: string, transformName: string, name: string): Promise<store.JobRow> {
  const job = await lookupJob(accountId, transformName, name);
  if (!job) throw resourceNotFound("job", name);
  return job;
}

export async function listJobsFor(scope: MediaScope, page?: RowPage) {
  const account = await readAccess(scope, "");
  const transform = await findTransform(account.id, scope.parent!);
  return (await store.listJobs({ transformId: transform.id, page })).map((j) => jobJson(account, j));
}

export async function getJobFor(scope: MediaScope, name: string) {
  const account = await readAccess(scope, name);
  return jobJson(account, await findJob(account.id, scope.parent!, name));
}

/** Creates a job, scheduled for a worker: an HTTP input with its URLs sealed under the account key, or an asset of the account as its input. */
export async function putJobFor(scope: MediaScope, name: string, body: unknown) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "transforms/jobs/write",
    policy: "jobs.create",
  });
  const { properties: p } = parseOrInvalid(JobBody, body, "body");
  const transform = await findTransform(account.id, scope.parent!);
  if (await store.findJob({ transformId: transform.id, name })) {
    throw new DomainError(
      "Conflict",
      `The job '${name}' exists: only its description and priority can change (PATCH).`,
    );
  }
  const input = await storedInputOf(account.id, p.input);
  const outputsNeeded = (transform.outputs as unknown[]).length;
  if (p.outputs.length !== outputsNeeded)
    throw new DomainError(
      "InvalidRequestContent",
      `The transform '${scope.parent}' has ${outputsNeeded} output(s); the job gives ${p.outputs.length}.`,
      "body.properties.outputs",
    );
  const presets = StoredTransformOutputs.parse(transform.outputs).map((o) => o.preset);
  const assets = await store.assetsNamed({ accountId: account.id, names: p.outputs.map((o) => o.assetName) });
  const assetNamed = (name: string) => assets.find((a) => a.nameKey === nameKey(name))?.name;
  const missing = p.outputs.find((o) => !assetNamed(o.assetName));
  if (missing)
    throw new DomainError(
      "InvalidRequestContent",
      `The output asset '${missing.assetName}' was not found: create it first.`,
      "body.properties.outputs",
    );
  const id = randomUUID();
  // An HTTP input's URLs (with their SAS) are sealed under the account key; an asset input names no secret.
  const sealed = input.urls
    ? sealSecrets(account.id, await accountKey(account), [
        { kind: "jobInputUrl", ownerId: id, name: id, value: Buffer.from(JSON.stringify(input.urls)) },
      ])
    : [];
  try {
    const job = await db().$transaction(async (tx) => {
      const row = await store.insertJob(
        {
          id,
          accountId: account.id,
          transformId: transform.id,
          name,
          description: p.description ?? null,
          input: input.stored,
          outputs: p.outputs.map(({ assetName, label }, i) => ({
            assetName: assetNamed(assetName)!,
            label: label ?? defaultOutputLabel(presets[i]!, i),
          })),
          priority: p.priority,
          correlationData: p.correlationData,
          actor: modifiedBy(scope.principal),
        },
        tx,
      );
      await insertSecrets(tx, sealed);
      await audit(
        {
          actor: scope.principal.objectId,
          action: "job.create",
          outcome: "success",
          subscriptionId: account.subscriptionId,
          accountId: account.id,
          detail: { transform: scope.parent!, name, files: input.stored.files.length },
        },
        tx,
      );
      return row;
    });
    return { json: jobJson(account, job), created: true };
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError("Conflict", `The job '${name}' was created meanwhile.`);
    throw err;
  }
}

export async function patchJobFor(scope: MediaScope, name: string, body: unknown) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "transforms/jobs/write",
    policy: "media.write",
  });
  const { properties } = parseOrInvalid(JobPatch, body, "body");
  const job = await findJob(account.id, scope.parent!, name);
  const updated = await store.updateJob({
    id: job.id,
    actor: modifiedBy(scope.principal),
    ...(properties.description !== undefined ? { description: properties.description } : {}),
    ...(properties.priority ? { priority: properties.priority } : {}),
  });
  return jobJson(account, updated);
}

/** cancelJob: a job not yet running is canceled at once; a running one when its worker next reports progress. */
export async function cancelJobFor(scope: MediaScope, name: string) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "transforms/jobs/cancelJob/action",
    policy: "media.write",
  });
  const job = await findJob(account.id, scope.parent!, name);
  await jobStore.cancel(job.id);
  await audit({
    actor: scope.principal.objectId,
    action: "job.cancel",
    outcome: "success",
    subscriptionId: account.subscriptionId,
    accountId: account.id,
    detail: { transform: scope.parent!, name },
  });
  return null;
}

export async function deleteJobFor(scope: MediaScope, name: string): Promise<boolean> {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "transforms/jobs/delete",
    policy: "media.write",
  });
  const job = await lookupJob(account.id, scope.parent!, name);
  if (!job) return false;
  await db().$transaction(async (tx) => {
    await store.deleteJob({ accountId: account.id, id: job.id }, tx);
    await audit(
      {
        actor: scope.principal.objectId,
        action: "job.delete",
        outcome: "success",
        subscriptionId: account.subscriptionId,
        accountId: account.id,
        detail: { transform: scope.parent!, name },
      },
      tx,
    );
  });
  return true;
}
