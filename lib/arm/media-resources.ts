import "server-only";
import type { Principal } from "@/lib/auth/principal";
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
import {
  deleteStreamingEndpointFor,
  getStreamingEndpointFor,
  listStreamingEndpointsFor,
  putStreamingEndpointFor,
  startStreamingEndpointFor,
  stopStreamingEndpointFor,
} from "@/lib/media/streaming-endpoints";
import { deleteTransformFor, getTransformFor, listTransformsFor, putTransformFor } from "@/lib/media/transforms";
import { accountRefOf, json, readBody } from "./http";

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
  /** POST actions on one resource, by lower-case name. */
  actions: Record<string, (scope: MediaScope, name: string) => Promise<unknown>>;
}

const mediaVersions = ["2021-06-01", "2021-11-01", "2022-08-01", "2023-01-01"];
const encodingVersions = ["2021-06-01", "2021-11-01", "2022-05-01-preview", "2022-07-01"];

const types: Record<string, ResourceType> = {
  assets: {
    apiVersions: mediaVersions,
    list: listAssetsFor,
    get: getAssetFor,
    put: putAssetFor,
    updatable: true,
    remove: deleteAssetFor,
    actions: { liststreaminglocators: listAssetStreamingLocatorsFor },
  },
  contentkeypolicies: {
    apiVersions: mediaVersions,
    list: listContentKeyPoliciesFor,
    get: getContentKeyPolicyFor,
    put: putContentKeyPolicyFor,
    updatable: true,
    remove: deleteContentKeyPolicyFor,
    actions: { getpolicypropertieswithsecrets: getPolicyPropertiesWithSecretsFor },
  },
  streaminglocators: {
    apiVersions: mediaVersions,
    list: listStreamingLocatorsFor,
    get: getStreamingLocatorFor,
    put: putStreamingLocatorFor,
    remove: deleteStreamingLocatorFor,
    actions: { listcontentkeys: listContentKeysFor, listpaths: listPathsFor },
  },
  streamingendpoints: {
    apiVersions: mediaVersions,
    list: listStreamingEndpointsFor,
    get: getStreamingEndpointFor,
    put: putStreamingEndpointFor,
    updatable: true,
    remove: deleteStreamingEndpointFor,
    actions: { start: startStreamingEndpointFor, stop: stopStreamingEndpointFor },
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
    actions: { canceljob: cancelJobFor },
  },
};

const pattern = new RegExp(
  "^/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.Media/mediaservices/(?<account>[^/]+)" +
    "/(?:transforms/(?<transform>[^/]+)/(?<jobs>jobs)|(?<type>assets|contentKeyPolicies|streamingLocators|streamingEndpoints|transforms))(?:/(?<name>[^/]+)(?:/(?<action>[^/]+))?)?/?$",
  "i",
);

export interface MediaResourcePath {
  type: ResourceType;
  typeName: string;
  groups: Record<string, string | undefined>;
}

/** The sub-resource a path names, if it names one. */
export function mediaResourcePath(path: string): MediaResourcePath | null {
  const m = pattern.exec(path);
  if (!m) return null;
  const typeName = (m.groups!.jobs ?? m.groups!.type!).toLowerCase();
  return { type: types[typeName]!, typeName, groups: m.groups! };
}

function validName(value: string | undefined, what: string): string {
  const name = decodeURIComponent(value ?? "");
  if (!resourceNamePattern.test(name))
    throw new DomainError(
      "InvalidResourceName",
      `The ${what} name '${name}' is invalid: use 1 to 260 letters, digits, '-', '_' and '.'.`,
    );
  return name;
}

/** Serves one request on a media sub-resource (the api-version already checked against its type). */
export async function routeMediaResource(
  request: Request,
  principal: Principal,
  { type, typeName, groups }: MediaResourcePath,
): Promise<Response> {
  const scope: MediaScope = {
    principal,
    ref: accountRefOf(groups.subscriptionId!, groups.resourceGroup!, groups.account!),
    ...(groups.transform ? { parent: validName(groups.transform, "transform") } : {}),
  };
  const method = request.method;
  if (!groups.name) {
    if (method === "GET") return json(200, { value: await type.list(scope) });
  } else if (!groups.action) {
    const name = validName(groups.name, typeName.replace(/s$/, ""));
    if (method === "GET") return json(200, await type.get(scope, name));
    if (method === "PUT") {
      const result = await type.put(scope, name, await readBody(request));
      return json(result.created ? 201 : 200, result.json);
    }
    if (method === "PATCH" && type.patch) return json(200, await type.patch(scope, name, await readBody(request)));
    // ARM's update of assets, transforms and content key policies: the same body as PUT, on one that exists.
    if (method === "PATCH" && type.updatable) {
      await type.get(scope, name);
      return json(200, (await type.put(scope, name, await readBody(request))).json);
    }
    if (method === "DELETE") return new Response(null, { status: (await type.remove(scope, name)) ? 200 : 204 });
  } else {
    const action = type.actions[groups.action.toLowerCase()];
    if (action && method === "POST") {
      const result = await action(scope, validName(groups.name, typeName.replace(/s$/, "")));
      return result === null ? new Response(null, { status: 200 }) : json(200, result);
    }
  }
  return json(405, {
    error: {
      code: "MethodNotAllowed",
      message: `${method} is not an operation of Microsoft.Media/mediaservices/${typeName}${groups.action ? `/${groups.action}` : ""}.`,
    },
  });
}
