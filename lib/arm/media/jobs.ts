import "server-only";
import { z } from "zod";
import type { AccountRef } from "@/lib/accounts/store";
import type { RowPage } from "@/lib/db/row-page";
import { parseOrInvalid } from "@/lib/errors";
import {
  cancelJobFor,
  deleteJobFor,
  getJobFor,
  JOB_INPUT_ASSET,
  JOB_INPUT_HTTP,
  JOB_OUTPUT_ASSET,
  listJobsFor,
  patchJobFor,
  putJobFor,
  resolveJobWrite,
  StoredJobError,
  StoredJobInput,
  StoredJobOutputs,
  type JobInput,
  type JobUpdate,
} from "@/lib/media/jobs";
import type { MediaScope } from "@/lib/media/resource";
import { resourceJson } from "./resource-json";
import type * as store from "@/lib/media/store";
import { propertiesPath, withBodyFields } from "./body-fields";

/** A file of an input asset, by the name it has in the asset: one name, no path. */
const AssetFileName = z
  .string()
  .min(1)
  .max(1024)
  .regex(/^[^/\\\u0000-\u001f\u007f]+$/, "A file of an asset is named without a path or control characters.");

const Priority = z.enum(["Low", "Normal", "High"]);
export const JobBody = z.object({
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
export const JobPatch = z.object({
  properties: z.object({ description: z.string().max(1024).optional(), priority: Priority.optional() }).default({}),
});

/** The input as the API shows it. */
const inputJson = (input: StoredJobInput) =>
  "assetName" in input ? { ...input, inputDefinitions: [] } : { "@odata.type": JOB_INPUT_HTTP, ...input };

/** A job as the API shows it (its transform and account in their display case); its input never carries a query string. */
export function jobJson(account: AccountRef, j: store.JobRow) {
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

const bodyPath = propertiesPath("input", "outputs");

/** Jobs as the API reads and writes them: ARM bodies parsed into lib/media's input, its records written as ARM's JSON. */
export const jobOperations = {
  async list(scope: MediaScope, page?: RowPage) {
    const { account, rows } = await listJobsFor(scope, page);
    return rows.map((j) => jobJson(account, j));
  },
  async get(scope: MediaScope, name: string) {
    const { account, row } = await getJobFor(scope, name);
    return jobJson(account, row);
  },
  /** Authorized and the account read before the body is parsed, once. */
  async put(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveJobWrite(scope, name, "jobs.create");
    const input: JobInput = parseOrInvalid(JobBody, body, "body").properties;
    const { account, row, created } = await withBodyFields(bodyPath, () => putJobFor(resolved, name, input));
    return { json: jobJson(account, row), created };
  },
  async patch(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveJobWrite(scope, name, "media.write");
    const update: JobUpdate = parseOrInvalid(JobPatch, body, "body").properties;
    const { account, row } = await patchJobFor(resolved, name, update);
    return jobJson(account, row);
  },
  remove: deleteJobFor,
  actions: { cancelJob: cancelJobFor },
};
