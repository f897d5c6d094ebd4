import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { isUniqueViolation, nameKey } from "@/lib/accounts/names";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { accountKey } from "@/lib/keys/hierarchy";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { resolveMediaAccount, resourceNotFound, scopedAccountFor } from "./access";
import { InvalidJobInput, inputUrls, redactedInput, type JobInputUrls } from "./job-input";
import * as jobStore from "./job-store";
import type { MediaList, MediaRecord, MediaScope, PutResult } from "./resource";
import { insertSecrets, sealSecrets } from "./secrets";
import * as store from "./store";
import { findTransform, StoredTransformOutputs } from "./transforms";

export const JOB_INPUT_HTTP = "#Microsoft.Media.JobInputHttp";
export const JOB_INPUT_ASSET = "#Microsoft.Media.JobInputAsset";
export const JOB_OUTPUT_ASSET = "#Microsoft.Media.JobOutputAsset";

/** A job's input: files at http(s) URLs, or an asset of the account. */
export type JobInputSource =
  | { "@odata.type": typeof JOB_INPUT_HTTP; baseUri?: string; files: string[]; label?: string }
  | { "@odata.type": typeof JOB_INPUT_ASSET; assetName: string; files?: string[]; label?: string };

export type JobPriority = "Low" | "Normal" | "High";

/** A new job, as a PUT gives it: one output asset per output of its transform. */
export interface JobInput {
  description?: string;
  input: JobInputSource;
  outputs: { assetName: string; label?: string }[];
  priority: JobPriority;
  correlationData: Record<string, string>;
}

/** What can change on a job once created. */
export interface JobUpdate {
  description?: string;
  priority?: JobPriority;
}

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

/**
 * What a job's input is stored as: an HTTP input's URLs checked (they are sealed apart, and shown
 * without query strings), or an asset input's asset, which must be one of the account's (by name,
 * in any case, stored as created). An asset's files are read when the job runs, as in Azure.
 */
async function storedInputOf(
  accountId: string,
  input: JobInputSource,
): Promise<{ stored: StoredJobInput; urls?: JobInputUrls }> {
  const label = input.label ? { label: input.label } : {};
  if (input["@odata.type"] === JOB_INPUT_ASSET) {
    const assetName = await store.assetNameOf({ accountId, name: input.assetName });
    if (!assetName)
      throw new DomainError(
        "InvalidRequestContent",
        `input.assetName: the input asset '${input.assetName}' was not found in this account: create it first (a job reads assets of its own account only).`,
        "input.assetName",
      );
    return { stored: { "@odata.type": JOB_INPUT_ASSET, assetName, files: input.files ?? [], ...label } };
  }
  const urls: JobInputUrls = { ...(input.baseUri ? { baseUri: input.baseUri } : {}), files: input.files };
  try {
    inputUrls(urls);
  } catch (err) {
    if (err instanceof InvalidJobInput) {
      const field = `input.${err.field}`;
      throw new DomainError("InvalidRequestContent", `${field}: ${err.message}`, field);
    }
    throw err;
  }
  return { stored: { ...redactedInput(urls), ...label }, urls };
}

const access = (scope: MediaScope, name: string, request: Parameters<typeof scopedAccountFor>[2]) =>
  scopedAccountFor(scope, `transforms/${scope.parent}/jobs/${name}`, request);
const writeRequest = (policy: "jobs.create" | "media.write") =>
  ({ action: "write", armOperation: "transforms/jobs/write", policy }) as const;

/** The scope with its account authorized and read for creating (jobs.create) or changing (media.write) the job: putJobFor and patchJobFor reuse it. */
export const resolveJobWrite = (scope: MediaScope, name: string, policy: "jobs.create" | "media.write") =>
  resolveMediaAccount(scope, `transforms/${scope.parent}/jobs/${name}`, writeRequest(policy));
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

export async function listJobsFor(scope: MediaScope, page?: RowPage): Promise<MediaList<store.JobRow>> {
  const account = await readAccess(scope, "");
  const transform = await findTransform(account.id, scope.parent!);
  return { account, rows: await store.listJobs({ transformId: transform.id, page }) };
}

export async function getJobFor(scope: MediaScope, name: string): Promise<MediaRecord<store.JobRow>> {
  const account = await readAccess(scope, name);
  return { account, row: await findJob(account.id, scope.parent!, name) };
}

/** Creates a job, scheduled for a worker: an HTTP input with its URLs sealed under the account key, or an asset of the account as its input. */
export async function putJobFor(scope: MediaScope, name: string, p: JobInput): Promise<PutResult<store.JobRow>> {
  const account = await access(scope, name, writeRequest("jobs.create"));
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
      "outputs",
    );
  const presets = StoredTransformOutputs.parse(transform.outputs).map((o) => o.preset);
  const assets = await store.assetsNamed({ accountId: account.id, names: p.outputs.map((o) => o.assetName) });
  const assetNamed = (name: string) => assets.find((a) => a.nameKey === nameKey(name))?.name;
  const missing = p.outputs.find((o) => !assetNamed(o.assetName));
  if (missing)
    throw new DomainError(
      "InvalidRequestContent",
      `The output asset '${missing.assetName}' was not found: create it first.`,
      "outputs",
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
    return { account, row: job, created: true };
  } catch (err) {
    if (isUniqueViolation(err)) throw new DomainError("Conflict", `The job '${name}' was created meanwhile.`);
    throw err;
  }
}

export async function patchJobFor(
  scope: MediaScope,
  name: string,
  properties: JobUpdate,
): Promise<MediaRecord<store.JobRow>> {
  const account = await access(scope, name, writeRequest("media.write"));
  const job = await findJob(account.id, scope.parent!, name);
  const updated = await store.updateJob({
    id: job.id,
    actor: modifiedBy(scope.principal),
    ...(properties.description !== undefined ? { description: properties.description } : {}),
    ...(properties.priority ? { priority: properties.priority } : {}),
  });
  return { account, row: updated };
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
