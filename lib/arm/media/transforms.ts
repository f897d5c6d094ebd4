import "server-only";
import { z } from "zod";
import type { AccountRef } from "@/lib/accounts/store";
import type { RowPage } from "@/lib/db/row-page";
import { parseOrInvalid } from "@/lib/errors";
import type { MediaScope } from "@/lib/media/resource";
import { resourceJson } from "./resource-json";
import type * as store from "@/lib/media/store";
import {
  deleteTransformFor,
  getTransformFor,
  listTransformsFor,
  putTransformFor,
  requireTransformFor,
  resolveTransformWrite,
  type TransformInput,
} from "@/lib/media/transforms";
import { propertiesPath, withBodyFields } from "./body-fields";

/**
 * A transform's outputs keep their presets as given; each must be a preset this service runs
 * (lib/media/encoding-presets.ts): ffmpeg encodes to H.264/AAC, or the input is copied as it is.
 */
export const TransformBody = z.object({
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

export const transformJson = (account: AccountRef, t: store.TransformRow) =>
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

const bodyPath = propertiesPath("outputs");
const inputOf = (body: unknown): TransformInput => parseOrInvalid(TransformBody, body, "body").properties;

/** Writes the transform with the account `resolved` for it: authorized and read once, before the body is parsed. */
async function write(resolved: MediaScope, name: string, body: unknown) {
  const input = inputOf(body);
  const { account, row, created } = await withBodyFields(bodyPath, () => putTransformFor(resolved, name, input));
  return { json: transformJson(account, row), created };
}

/** Transforms as the API reads and writes them: ARM bodies parsed into lib/media's input, its records written as ARM's JSON. */
export const transformOperations = {
  async list(scope: MediaScope, page?: RowPage) {
    const { account, rows } = await listTransformsFor(scope, page);
    return rows.map((t) => transformJson(account, t));
  },
  async get(scope: MediaScope, name: string) {
    const { account, row } = await getTransformFor(scope, name);
    return transformJson(account, row);
  },
  put: async (scope: MediaScope, name: string, body: unknown) =>
    write(await resolveTransformWrite(scope, name), name, body),
  /** ARM's update: the same body as PUT, on a transform that exists. */
  async patch(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveTransformWrite(scope, name);
    await requireTransformFor(resolved, name);
    return (await write(resolved, name, body)).json;
  },
  remove: deleteTransformFor,
  actions: {},
};
