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
import { findTransform } from "./transforms";

const JOB_INPUT_HTTP = "#Microsoft.Media.JobInputHttp";
const JOB_OUTPUT_ASSET = "#Microsoft.Media.JobOutputAsset";

const Priority = z.enum(["Low", "Normal", "High"]);
const JobBody = z.object({
  properties: z.object({
    description: z.string().max(1024).optional(),
    input: z.object({
      "@odata.type": z.literal(JOB_INPUT_HTTP, `This service runs ${JOB_INPUT_HTTP} inputs only (baseUri and files).`),
      baseUri: z.string().max(4096).optional(),
      files: z.array(z.string().min(1).max(4096)).min(1).max(10),
      label: z.string().max(256).optional(),
    }),
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
export const StoredJobInput = z.object({
  baseUri: z.string().optional(),
  files: z.array(z.string()),
  label: z.string().optional(),
});

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
      input: { "@odata.type": JOB_INPUT_HTTP, ...StoredJobInput.parse(j.input) },
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

/** Creates a job: its input URLs sealed under the account key, then scheduled for a worker. */
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
  const input: JobInputUrls = { ...(p.input.baseUri ? { baseUri: p.input.baseUri } : {}), files: p.input.files };
  try {
    inputUrls(input);
  } catch (err) {
    if (err instanceof InvalidJobInput) {
      const field = `body.properties.input.${err.field}`;
      throw new DomainError("InvalidRequestContent", `${field}: ${err.message}`, field);
    }
    throw err;
  }
  const outputsNeeded = (transform.outputs as unknown[]).length;
  if (p.outputs.length !== outputsNeeded)
    throw new DomainError(
      "InvalidRequestContent",
      `The transform '${scope.parent}' has ${outputsNeeded} output(s); the job gives ${p.outputs.length}.`,
      "body.properties.outputs",
    );
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
  const sealed = sealSecrets(account.id, await accountKey(account), [
    { kind: "jobInputUrl", ownerId: id, name: id, value: Buffer.from(JSON.stringify(input)) },
  ]);
  try {
    const job = await db().$transaction(async (tx) => {
      const row = await store.insertJob(
        {
          id,
          accountId: account.id,
          transformId: transform.id,
          name,
          description: p.description ?? null,
          input: { ...redactedInput(input), ...(p.input.label ? { label: p.input.label } : {}) },
          outputs: p.outputs.map(({ assetName, label }) => ({
            assetName: assetNamed(assetName)!,
            ...(label ? { label } : {}),
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
          detail: { transform: scope.parent!, name, files: input.files.length },
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
