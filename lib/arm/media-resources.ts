import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { DomainError } from "@/lib/errors";
import { resourceNamePattern } from "@/lib/media/names";
import type { MediaScope } from "@/lib/media/resource";
import { accountPath } from "./accounts";
import { assetOperations } from "./media/assets";
import { contentKeyPolicyOperations } from "./media/content-key-policies";
import { jobOperations } from "./media/jobs";
import { streamingEndpointOperations } from "./media/streaming-endpoints";
import { streamingLocatorOperations } from "./media/streaming-locators";
import { transformOperations } from "./media/transforms";
import { accountRefOf, json, publicUrlOf, readBody } from "./http";
import { listQueryOf, pageFrom, pageOf, sqlPageOf, type ListField, type ListSpec } from "./paging";
import { armPath, type ArmRequest, type ArmRoute } from "./router";
import { getStreamingPolicyFor, listStreamingPoliciesFor, writeStreamingPolicyFor } from "./streaming-policies";

/**
 * The account's sub-resources that hold secrets, at the api-versions @azure/arm-mediaservices
 * 13.x sends for them (and the earlier GA ones with the same shapes).
 */
/** A media resource as its serializer writes it: what `$filter` and `$orderby` read. */
type ResourceItem = { name: string; properties: Record<string, unknown> };

interface ResourceType {
  apiVersions: string[];
  /** What its list takes besides paging: the spec's `$filter`/`$orderby` fields (and their columns), and whether `$top`. */
  listing: Omit<ListSpec<ResourceItem>, "keys">;
  /** Lists one page, read by the database (`page` given), or, for a list of a few fixed items, all of them. */
  list(scope: MediaScope, page?: RowPage): Promise<unknown[]>;
  /** The list is a few fixed items, paged in memory. */
  fixed?: boolean;
  get(scope: MediaScope, name: string): Promise<unknown>;
  put(scope: MediaScope, name: string, body: unknown): Promise<{ json: unknown; created: boolean }>;
  patch?(scope: MediaScope, name: string, body: unknown): Promise<unknown>;
  remove(scope: MediaScope, name: string): Promise<boolean>;
  /** POST actions on one resource, by name. */
  actions: Record<string, (scope: MediaScope, name: string) => Promise<unknown>>;
}

/** Each field names its column: the database filters, orders and continues the keyset. */
const name: ListField<ResourceItem> = {
  type: "string",
  column: "nameKey",
  text: "key",
  get: (r) => r.name.toLowerCase(),
};
const property = (
  type: ListField<ResourceItem>["type"],
  key: string,
  column: Pick<ListField<ResourceItem>, "column" | "nullable" | "text">,
): ListField<ResourceItem> => ({ type, ...column, get: (r) => r.properties[key] as string | undefined });
const created = property("date", "created", { column: "createdAt" });
const lastModified = property("date", "lastModified", { column: "updatedAt" });
const byNameKey: ListSpec<ResourceItem>["keys"] = [{ column: "nameKey", get: (r) => r.name.toLowerCase() }];
const jobStates = ["Scheduled", "Queued", "Processing", "Finished", "Error", "Canceling", "Canceled"] as const;

const mediaVersions = ["2021-06-01", "2021-11-01", "2022-08-01", "2023-01-01"];
const encodingVersions = ["2021-06-01", "2021-11-01", "2022-05-01-preview", "2022-07-01"];

const types = {
  assets: {
    listing: {
      top: true,
      fields: {
        name,
        "properties/created": created,
        "properties/alternateId": property("string", "alternateId", {
          column: "alternateId",
          nullable: true,
          text: "text",
        }),
        "properties/assetId": property("string", "assetId", { column: "id", text: "key" }),
      },
    },
    apiVersions: mediaVersions,
    ...assetOperations,
  },
  contentkeypolicies: {
    listing: { top: true, fields: { name, "properties/created": created, "properties/lastModified": lastModified } },
    apiVersions: mediaVersions,
    ...contentKeyPolicyOperations,
  },
  streaminglocators: {
    listing: {
      top: true,
      fields: {
        name,
        "properties/created": created,
        "properties/endTime": property("date", "endTime", { column: "endTime", nullable: true }),
      },
    },
    apiVersions: mediaVersions,
    ...streamingLocatorOperations,
  },
  streamingendpoints: {
    listing: { fields: { name, "properties/created": created } },
    apiVersions: mediaVersions,
    ...streamingEndpointOperations,
  },
  transforms: {
    listing: { fields: { name, "properties/created": created, "properties/lastModified": lastModified } },
    apiVersions: encodingVersions,
    ...transformOperations,
  },
  jobs: {
    listing: {
      fields: {
        name,
        "properties/state": property("string", "state", { column: "state", text: jobStates }),
        "properties/created": created,
        "properties/lastModified": lastModified,
      },
    },
    apiVersions: encodingVersions,
    ...jobOperations,
  },
  streamingpolicies: {
    listing: { top: true, fields: { name, "properties/created": created } },
    apiVersions: mediaVersions,
    list: listStreamingPoliciesFor,
    fixed: true,
    get: getStreamingPolicyFor,
    put: writeStreamingPolicyFor,
    remove: writeStreamingPolicyFor,
    actions: {},
  },
} satisfies Record<string, ResourceType>;

function validName(value: string | undefined, what: string): string {
  const name = value ?? "";
  if (!resourceNamePattern.test(name))
    throw new DomainError(
      "InvalidResourceName",
      `The ${what} name '${name}' is invalid: use 1 to 260 letters, digits, '-', '_' and '.'.`,
    );
  return name;
}

const scopeOf = ({ principal, params }: ArmRequest): MediaScope => ({
  principal,
  ref: accountRefOf(params.subscriptionId!, params.resourceGroupName!, params.accountName!),
  ...(params.transformName !== undefined ? { parent: validName(params.transformName, "transform") } : {}),
});

/**
 * The routes of one sub-resource type: list and CRUD under `collection` (a path below the account,
 * as the spec writes it), and its POST actions.
 */
function resourceRoutes(collection: string, what: string, type: ResourceType): ArmRoute[] {
  const path = `${accountPath}/${collection}`;
  const one = armPath(`${path}/{name}`);
  const apiVersions = type.apiVersions;
  const nameOf = (req: ArmRequest) => validName(req.params.name, what);
  const routes: ArmRoute[] = [
    {
      method: "GET",
      pattern: armPath(path),
      apiVersions,
      handler: async (req) => {
        const spec = { ...type.listing, keys: byNameKey };
        if (type.fixed)
          return json(200, pageOf((await type.list(scopeOf(req))) as ResourceItem[], publicUrlOf(req.request), spec));
        const q = listQueryOf(req.url, spec);
        const items = (await type.list(scopeOf(req), sqlPageOf(q, spec))) as ResourceItem[];
        return json(200, pageFrom(items, q, publicUrlOf(req.request), spec, { inDatabase: true }));
      },
    },
    {
      method: "GET",
      pattern: one,
      apiVersions,
      handler: async (req) => json(200, await type.get(scopeOf(req), nameOf(req))),
    },
    {
      method: "PUT",
      pattern: one,
      apiVersions,
      handler: async (req) => {
        const result = await type.put(scopeOf(req), nameOf(req), await readBody(req.request));
        return json(result.created ? 201 : 200, result.json);
      },
    },
    {
      method: "DELETE",
      pattern: one,
      apiVersions,
      handler: async (req) =>
        new Response(null, { status: (await type.remove(scopeOf(req), nameOf(req))) ? 200 : 204 }),
    },
  ];
  const patch = type.patch;
  if (patch)
    routes.push({
      method: "PATCH",
      pattern: one,
      apiVersions,
      handler: async (req) => json(200, await patch(scopeOf(req), nameOf(req), await readBody(req.request))),
    });
  for (const [action, run] of Object.entries(type.actions))
    routes.push({
      method: "POST",
      pattern: armPath(`${path}/{name}/${action}`),
      apiVersions,
      handler: async (req) => {
        const result = await run(scopeOf(req), nameOf(req));
        return result === null ? new Response(null, { status: 200 }) : json(200, result);
      },
    });
  return routes;
}

/** The account's sub-resources. */
export const mediaResourceRoutes: ArmRoute[] = [
  ...resourceRoutes("assets", "asset", types.assets),
  ...resourceRoutes("contentKeyPolicies", "content key policy", types.contentkeypolicies),
  ...resourceRoutes("streamingLocators", "streaming locator", types.streaminglocators),
  ...resourceRoutes("streamingPolicies", "streaming policy", types.streamingpolicies),
  ...resourceRoutes("streamingEndpoints", "streaming endpoint", types.streamingendpoints),
  ...resourceRoutes("transforms", "transform", types.transforms),
  ...resourceRoutes("transforms/{transformName}/jobs", "job", types.jobs),
];
