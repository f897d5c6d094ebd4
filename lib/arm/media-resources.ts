import "server-only";
import { DomainError } from "@/lib/errors";
import { resourceNamePattern } from "@/lib/media/names";
import { deleteAssetFor, getAssetFor, listAssetsFor, putAssetFor } from "@/lib/media/assets";
import {
  deleteContentKeyPolicyFor,
  getContentKeyPolicyFor,
  getPolicyPropertiesWithSecretsFor,
  listContentKeyPoliciesFor,
  putContentKeyPolicyFor,
} from "@/lib/media/content-key-policies";
import { cancelJobFor, deleteJobFor, getJobFor, listJobsFor, patchJobFor, putJobFor } from "@/lib/media/jobs";
import type { MediaScope } from "@/lib/media/resource";
import {
  deleteStreamingLocatorFor,
  getStreamingLocatorFor,
  listAssetStreamingLocatorsFor,
  listContentKeysFor,
  listPathsFor,
  listStreamingLocatorsFor,
  putStreamingLocatorFor,
} from "@/lib/media/streaming-locators";
import { deleteTransformFor, getTransformFor, listTransformsFor, putTransformFor } from "@/lib/media/transforms";
import { accountPath } from "./accounts";
import { accountRefOf, json, readBody } from "./http";
import { armPath, type ArmRequest, type ArmRoute } from "./router";

/**
 * The account's sub-resources that hold secrets, at the api-versions @azure/arm-mediaservices
 * 13.x sends for them (and the earlier GA ones with the same shapes).
 */
interface ResourceType {
  apiVersions: string[];
  list(scope: MediaScope): Promise<unknown[]>;
  get(scope: MediaScope, name: string): Promise<unknown>;
  put(scope: MediaScope, name: string, body: unknown): Promise<{ json: unknown; created: boolean }>;
  patch?(scope: MediaScope, name: string, body: unknown): Promise<unknown>;
  /** PATCH replaces what PUT would (only on an existing resource). */
  updatable?: boolean;
  remove(scope: MediaScope, name: string): Promise<boolean>;
  /** POST actions on one resource, by name. */
  actions: Record<string, (scope: MediaScope, name: string) => Promise<unknown>>;
}

const mediaVersions = ["2021-06-01", "2021-11-01", "2022-08-01", "2023-01-01"];
const encodingVersions = ["2021-06-01", "2021-11-01", "2022-05-01-preview", "2022-07-01"];

const types = {
  assets: {
    apiVersions: mediaVersions,
    list: listAssetsFor,
    get: getAssetFor,
    put: putAssetFor,
    updatable: true,
    remove: deleteAssetFor,
    actions: { listStreamingLocators: listAssetStreamingLocatorsFor },
  },
  contentkeypolicies: {
    apiVersions: mediaVersions,
    list: listContentKeyPoliciesFor,
    get: getContentKeyPolicyFor,
    put: putContentKeyPolicyFor,
    updatable: true,
    remove: deleteContentKeyPolicyFor,
    actions: { getPolicyPropertiesWithSecrets: getPolicyPropertiesWithSecretsFor },
  },
  streaminglocators: {
    apiVersions: mediaVersions,
    list: listStreamingLocatorsFor,
    get: getStreamingLocatorFor,
    put: putStreamingLocatorFor,
    remove: deleteStreamingLocatorFor,
    actions: { listContentKeys: listContentKeysFor, listPaths: listPathsFor },
  },
  transforms: {
    apiVersions: encodingVersions,
    list: listTransformsFor,
    get: getTransformFor,
    put: putTransformFor,
    updatable: true,
    remove: deleteTransformFor,
    actions: {},
  },
  jobs: {
    apiVersions: encodingVersions,
    list: listJobsFor,
    get: getJobFor,
    put: putJobFor,
    patch: patchJobFor,
    remove: deleteJobFor,
    actions: { cancelJob: cancelJobFor },
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
      handler: async (req) => json(200, { value: await type.list(scopeOf(req)) }),
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
  // ARM's update of assets, transforms and content key policies: the same body as PUT, on one that exists.
  else if (type.updatable)
    routes.push({
      method: "PATCH",
      pattern: one,
      apiVersions,
      handler: async (req) => {
        const scope = scopeOf(req);
        await type.get(scope, nameOf(req));
        return json(200, (await type.put(scope, nameOf(req), await readBody(req.request))).json);
      },
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
  ...resourceRoutes("transforms", "transform", types.transforms),
  ...resourceRoutes("transforms/{transformName}/jobs", "job", types.jobs),
];
