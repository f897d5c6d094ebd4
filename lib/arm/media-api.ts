import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AccountName, Location, ResourceGroupName, SubscriptionId } from "@/lib/accounts/schemas";
import { accountResourceId, deleteAccountFor, getAccountFor, listAccountsFor, putAccountFor, updateAccountFor } from "@/lib/accounts/service";
import type { AccountRecord } from "@/lib/accounts/store";
import { principalFromBearer } from "@/lib/auth/bearer";
import type { Principal } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { audit } from "@/lib/audit";
import { armErrorBody, DomainError } from "@/lib/errors";

/** The api-versions of Microsoft.Media/mediaservices this API speaks (those @azure/arm-mediaservices 13.x sends, and older). */
export const mediaServicesApiVersions = ["2020-05-01", "2021-05-01", "2021-06-01", "2021-11-01", "2023-01-01"];

const sub = "/subscriptions/(?<subscriptionId>[^/]+)";
const rg = `${sub}/resourceGroups/(?<resourceGroup>[^/]+)`;
const provider = "/providers/Microsoft\\.Media/mediaservices";
const routes = {
  listBySubscription: new RegExp(`^${sub}${provider}/?$`, "i"),
  listByResourceGroup: new RegExp(`^${rg}${provider}/?$`, "i"),
  account: new RegExp(`^${rg}${provider}/(?<name>[^/]+)/?$`, "i"),
};

const PutBody = z.object({
  location: Location,
  tags: z.record(z.string(), z.string()).optional(),
});

function mediaServiceJson(a: AccountRecord) {
  return {
    id: accountResourceId(a),
    name: a.name,
    type: "Microsoft.Media/mediaservices",
    location: a.location,
    tags: {},
    properties: { mediaServiceId: a.id, provisioningState: "Succeeded", storageAccounts: [] },
    systemData: { createdAt: a.createdAt.toISOString(), lastModifiedAt: a.updatedAt.toISOString() },
  };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return Response.json(body, { status, headers: { "x-ms-request-id": randomUUID(), "Cache-Control": "no-store", ...headers } });
}

function parse<T>(schema: z.ZodType<T>, value: unknown, target: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new DomainError("InvalidRequestContent", `${[target, ...issue.path].join(".")}: ${issue.message}`, [target, ...issue.path].join("."));
  }
  return result.data;
}

async function readBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new DomainError("InvalidRequestContent", "The request content is not valid JSON.");
  }
}

async function route(request: Request, principal: Principal, path: string): Promise<Response> {
  const method = request.method;
  let m = routes.listBySubscription.exec(path);
  if (m && method === "GET") {
    const subscriptionId = parse(SubscriptionId, m.groups!.subscriptionId, "subscriptionId");
    return json(200, { value: (await listAccountsFor(principal, { subscriptionId })).map(mediaServiceJson) });
  }
  m = routes.listByResourceGroup.exec(path);
  if (m && method === "GET") {
    const subscriptionId = parse(SubscriptionId, m.groups!.subscriptionId, "subscriptionId");
    const resourceGroup = parse(ResourceGroupName, m.groups!.resourceGroup, "resourceGroupName");
    return json(200, { value: (await listAccountsFor(principal, { subscriptionId, resourceGroup })).map(mediaServiceJson) });
  }
  m = routes.account.exec(path);
  if (m) {
    const ref = {
      subscriptionId: parse(SubscriptionId, m.groups!.subscriptionId, "subscriptionId"),
      resourceGroup: parse(ResourceGroupName, m.groups!.resourceGroup, "resourceGroupName"),
      name: parse(AccountName, decodeURIComponent(m.groups!.name!), "accountName"),
    };
    if (method === "GET") return json(200, mediaServiceJson(await getAccountFor(principal, ref)));
    if (method === "DELETE") return (await deleteAccountFor(principal, ref)) ? new Response(null, { status: 200 }) : new Response(null, { status: 204 });
    if (method === "PUT") {
      const body = parse(PutBody, await readBody(request), "body");
      const { account, created } = await putAccountFor(principal, { ...ref, location: body.location });
      return json(created ? 201 : 200, mediaServiceJson(account));
    }
    if (method === "PATCH") {
      parse(PutBody.partial(), await readBody(request), "body");
      return json(200, mediaServiceJson(await updateAccountFor(principal, ref)));
    }
  }
  return json(404, { error: { code: "InvalidResourceType", message: `No ${method} operation exists at '${path}'.` } });
}

/** Every request of the REST API: authenticate, check the api-version, route, and map errors to ARM's shape. */
export async function handleMediaApi(request: Request): Promise<Response> {
  const url = new URL(request.url);
  try {
    const principal = await principalFromBearer(request.headers.get("authorization"));
    const apiVersion = url.searchParams.get("api-version");
    if (!apiVersion) throw new DomainError("MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    if (!mediaServicesApiVersions.includes(apiVersion)) {
      throw new DomainError("InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. The supported versions are '${mediaServicesApiVersions.join(",")}'.`);
    }
    return await route(request, principal, url.pathname);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.status === 401) {
      // Denied before anyone is known: the principal is unknown, the target and reason are not.
      await audit({ actor: "anonymous", action: `api.${request.method.toLowerCase()}`, outcome: "denied", detail: { target: url.pathname, reason: err.code } });
    }
    const challenge: Record<string, string> =
      err.status === 401 ? { "WWW-Authenticate": `Bearer authorization_uri="${getConfig().endpoints.authorityHost}/common", error="invalid_token", error_description="${err.code}"` } : {};
    return json(err.status, armErrorBody(err), challenge);
  }
}
