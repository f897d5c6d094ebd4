import "server-only";
import { z } from "zod";
import type { AccountRef } from "@/lib/accounts/store";
import type { RowPage } from "@/lib/db/row-page";
import { parseOrInvalid } from "@/lib/errors";
import type { MediaScope } from "@/lib/media/resource";
import { resourceJson } from "./resource-json";
import type * as store from "@/lib/media/store";
import {
  deleteStreamingLocatorFor,
  getStreamingLocatorFor,
  listAssetStreamingLocatorsFor,
  listContentKeysFor,
  listPathsFor,
  listStreamingLocatorsFor,
  putStreamingLocatorFor,
  resolveStreamingLocatorWrite,
  StoredContentKeys,
  type StoredContentKey,
  type StreamingLocatorInput,
} from "@/lib/media/streaming-locators";
import { streamingPolicyNames, type StreamingPolicyName } from "@/lib/media/streaming-policies";
import { propertiesPath, withBodyFields } from "./body-fields";

const policyNames: string[] = streamingPolicyNames;

/** A GUID in any hex form (the spec's examples use 60000000-0000-0000-0000-000000000001, no RFC variant), lower-cased as Azure writes it. */
const Guid = z.guid("A GUID is 32 hex digits in 8-4-4-4-12 groups.").transform((s) => s.toLowerCase());
/** A locator without an end time never ends: Azure Media Services shows that as its largest date. */
const noEndTime = "9999-12-31T23:59:59.9999999Z";

export const LocatorBody = z.object({
  properties: z.object({
    assetName: z.string().min(1),
    streamingPolicyName: z.string().refine((n): n is StreamingPolicyName => policyNames.includes(n), {
      error: `streamingPolicyName must be one of ${policyNames.join(", ")} (custom and DRM streaming policies are not offered).`,
    }),
    defaultContentKeyPolicyName: z.string().min(1).optional(),
    startTime: z.iso.datetime({ offset: true }).optional(),
    endTime: z.iso.datetime({ offset: true }).optional(),
    streamingLocatorId: Guid.optional(),
    alternativeMediaId: z.string().max(1024).optional(),
    filters: z.array(z.string()).max(10).default([]),
    contentKeys: z
      .array(
        z.object({
          id: Guid,
          labelReferenceInStreamingPolicy: z.string().optional(),
          value: z
            .base64("value must be base64.")
            .refine((v) => Buffer.from(v, "base64").length === 16, "value must be a 128-bit key: 16 bytes in base64.")
            .optional(),
        }),
      )
      .optional(),
  }),
});

const keysJson = (keys: StoredContentKey[], values?: Map<string, Buffer>) =>
  keys.map((k) => ({ ...k, ...(values ? { value: values.get(k.id)!.toString("base64") } : {}), tracks: [] }));

/** What a locator shows everywhere, an asset's listStreamingLocators included. */
const summaryOf = (l: store.LocatorRow) => ({
  assetName: l.assetName,
  created: l.createdAt.toISOString(),
  ...(l.startTime ? { startTime: l.startTime.toISOString() } : {}),
  endTime: l.endTime ? l.endTime.toISOString() : noEndTime,
  streamingLocatorId: l.streamingLocatorId,
  streamingPolicyName: l.streamingPolicyName,
  ...(l.defaultContentKeyPolicyName ? { defaultContentKeyPolicyName: l.defaultContentKeyPolicyName } : {}),
});

export function locatorJson(account: AccountRef, l: store.LocatorRow) {
  return resourceJson(
    account,
    "streamingLocators",
    l.name,
    {
      ...summaryOf(l),
      contentKeys: keysJson(StoredContentKeys.parse(l.contentKeys)),
      ...(l.alternativeMediaId ? { alternativeMediaId: l.alternativeMediaId } : {}),
      filters: l.filters,
    },
    l,
  );
}

const bodyPath = propertiesPath("assetName", "defaultContentKeyPolicyName", "endTime", "contentKeys");

/** An asset's listStreamingLocators: the locators that publish it, without their keys. */
export async function listAssetStreamingLocators(scope: MediaScope, assetName: string) {
  const { rows } = await listAssetStreamingLocatorsFor(scope, assetName);
  return { streamingLocators: rows.map((l) => ({ name: l.name, ...summaryOf(l) })) };
}

/** Streaming locators as the API reads and writes them: ARM bodies parsed into lib/media's input, its records written as ARM's JSON. */
export const streamingLocatorOperations = {
  async list(scope: MediaScope, page?: RowPage) {
    const { account, rows } = await listStreamingLocatorsFor(scope, page);
    return rows.map((l) => locatorJson(account, l));
  },
  async get(scope: MediaScope, name: string) {
    const { account, row } = await getStreamingLocatorFor(scope, name);
    return locatorJson(account, row);
  },
  /** Authorized and the account read before the body is parsed, once. */
  async put(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveStreamingLocatorWrite(scope, name);
    const input: StreamingLocatorInput = parseOrInvalid(LocatorBody, body, "body").properties;
    const { account, row, created } = await withBodyFields(bodyPath, () =>
      putStreamingLocatorFor(resolved, name, input),
    );
    return { json: locatorJson(account, row), created };
  },
  remove: deleteStreamingLocatorFor,
  actions: {
    async listContentKeys(scope: MediaScope, name: string) {
      const { keys, values } = await listContentKeysFor(scope, name);
      return { contentKeys: keysJson(keys, values) };
    },
    listPaths: listPathsFor,
  },
};
