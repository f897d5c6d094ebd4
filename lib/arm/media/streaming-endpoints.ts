import "server-only";
import { z } from "zod";
import type { AccountRef } from "@/lib/accounts/store";
import type { RowPage } from "@/lib/db/row-page";
import { parseOrInvalid } from "@/lib/errors";
import type { MediaScope } from "@/lib/media/resource";
import { resourceJson } from "./resource-json";
import type * as store from "@/lib/media/streaming-endpoint-store";
import {
  deleteStreamingEndpointFor,
  getStreamingEndpointFor,
  listStreamingEndpointsFor,
  patchStreamingEndpointFor,
  putStreamingEndpointFor,
  resolveStreamingEndpointWrite,
  startStreamingEndpointFor,
  stopStreamingEndpointFor,
  streamingHostName,
  type StreamingEndpointInput,
} from "@/lib/media/streaming-endpoints";
import { withBodyFields, type BodyPathOf } from "./body-fields";

/** ARM's tags: at most 50, names of 1 to 512 characters, values of at most 256. */
export const Tags = z
  .record(z.string().min(1).max(512), z.string().max(256))
  .refine((tags) => Object.keys(tags).length <= 50, "A resource has at most 50 tags.");

/**
 * What this origin honours (and tags, stored and returned), and nothing else: a setting it would
 * store and then ignore (a CDN, access control, cross-site policies, custom host names, an
 * availability set) is refused with 400 naming the field, rather than accepted.
 */
export const EndpointBody = z.object({
  location: z.string().min(1).optional(),
  tags: Tags.optional(),
  properties: z
    .strictObject({
      description: z.string().max(1024).optional(),
      scaleUnits: z.number().int().min(0).max(10).optional(),
      cdnEnabled: z
        .boolean()
        .refine((enabled) => !enabled, "This service has no CDN: cdnEnabled must be false.")
        .optional(),
    })
    .default({}),
});

export function endpointJson(account: AccountRef, e: store.StreamingEndpointRow) {
  const json = resourceJson(
    account,
    "streamingEndpoints",
    e.name,
    {
      ...(e.description ? { description: e.description } : {}),
      scaleUnits: e.scaleUnits,
      cdnEnabled: e.cdnEnabled,
      customHostNames: [],
      hostName: streamingHostName(e.id),
      provisioningState: "Succeeded",
      resourceState: e.resourceState,
      created: e.createdAt.toISOString(),
      lastModified: e.updatedAt.toISOString(),
    },
    e,
  );
  return { ...json, location: e.location, tags: Tags.parse(e.tags) };
}

/** The endpoint's location is the body's own, beside its properties. */
const bodyPath: BodyPathOf = (field) => (field === "location" ? "body.location" : undefined);

function inputOf(body: unknown): StreamingEndpointInput {
  const { location, tags, properties } = parseOrInvalid(EndpointBody, body, "body");
  return { ...(location !== undefined ? { location } : {}), ...(tags ? { tags } : {}), ...properties };
}

/** Streaming endpoints as the API reads and writes them: ARM bodies parsed into lib/media's input, its records written as ARM's JSON. */
export const streamingEndpointOperations = {
  async list(scope: MediaScope, page?: RowPage) {
    const { account, rows } = await listStreamingEndpointsFor(scope, page);
    return rows.map((e) => endpointJson(account, e));
  },
  async get(scope: MediaScope, name: string) {
    const { account, row } = await getStreamingEndpointFor(scope, name);
    return endpointJson(account, row);
  },
  /** Authorized and the account read before the body is parsed, once. */
  async put(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveStreamingEndpointWrite(scope, name);
    const input = inputOf(body);
    const { account, row, created } = await withBodyFields(bodyPath, () =>
      putStreamingEndpointFor(resolved, name, input),
    );
    return { json: endpointJson(account, row), created };
  },
  async patch(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveStreamingEndpointWrite(scope, name);
    const input = inputOf(body);
    const { account, row } = await withBodyFields(bodyPath, () => patchStreamingEndpointFor(resolved, name, input));
    return endpointJson(account, row);
  },
  remove: deleteStreamingEndpointFor,
  actions: { start: startStreamingEndpointFor, stop: stopStreamingEndpointFor },
};
