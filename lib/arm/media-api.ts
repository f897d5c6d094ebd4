import "server-only";
import { ResourceGroupName, SubscriptionId } from "@/lib/accounts/schemas";
import { etagOf } from "@/lib/accounts/changes";
import { checkKeyNowFor } from "@/lib/accounts/encryption";
import { deleteAccountFor, listAccountsFor } from "@/lib/accounts/service";
import { callerArmToken } from "@/lib/azure/on-behalf-of";
import {
  accountJson,
  accountShape,
  bySubscriptionApiVersions,
  listEdgePolicies,
  operationResult,
  operationStatus,
  readAccount,
  readAccountBySubscription,
  syncStorageKeys,
  writeAccount,
} from "./accounts";
import { countAnonymousRefusal, sourceOf } from "@/lib/auth/anonymous-refusals";
import { authorize } from "@/lib/auth/authorize";
import { principalFromBearer } from "@/lib/auth/bearer";
import type { Principal } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { armErrorBody, DomainError, parseOrInvalid } from "@/lib/errors";
import { accountRefOf, json } from "./http";
import { routeKeyVersionUsage } from "./key-version-usage";
import { mediaResourcePath, routeMediaResource } from "./media-resources";

/** The api-versions of Microsoft.Media/mediaservices this API speaks (those @azure/arm-mediaservices 13.x sends, and older). */
export const mediaServicesApiVersions = ["2020-05-01", "2021-05-01", "2021-06-01", "2021-11-01", "2023-01-01"];

const sub = "/subscriptions/(?<subscriptionId>[^/]+)";
const rg = `${sub}/resourceGroups/(?<resourceGroup>[^/]+)`;
const provider = "/providers/Microsoft\\.Media/mediaservices";
const routes = {
  listBySubscription: new RegExp(`^${sub}${provider}/?$`, "i"),
  listByResourceGroup: new RegExp(`^${rg}${provider}/?$`, "i"),
  account: new RegExp(`^${rg}${provider}/(?<name>[^/]+)/?$`, "i"),
  /** "Check now": an action on the account, as ARM names actions. */
  checkKey: new RegExp(`^${rg}${provider}/(?<name>[^/]+)/checkCustomerKey/?$`, "i"),
  accountAction: new RegExp(`^${rg}${provider}/(?<name>[^/]+)/(?<action>syncStorageKeys|listEdgePolicies)/?$`, "i"),
  operation: new RegExp(
    `^${sub}/providers/Microsoft\\.Media/locations/(?<location>[^/]+)/(?<kind>mediaServicesOperationStatuses|mediaServicesOperationResults)/(?<operationId>[^/]+)/?$`,
    "i",
  ),
  bySubscription: new RegExp(`^${sub}${provider}/(?<name>[^/]+)/?$`, "i"),
};

/** The caller's ARM token, fetched only by the requests that need it (lib/azure/on-behalf-of.ts). */
type ArmToken = () => Promise<string | null>;

async function route(
  request: Request,
  principal: Principal,
  path: string,
  armToken: ArmToken,
  apiVersion: string,
): Promise<Response> {
  const method = request.method;
  const shape = accountShape(apiVersion);
  let m = routes.listBySubscription.exec(path);
  if (m && method === "GET") {
    const subscriptionId = parseOrInvalid(SubscriptionId, m.groups!.subscriptionId, "subscriptionId");
    const accounts = await listAccountsFor(principal, { subscriptionId });
    return json(200, { value: await Promise.all(accounts.map((a) => accountJson(a, shape))) });
  }
  m = routes.listByResourceGroup.exec(path);
  if (m && method === "GET") {
    const subscriptionId = parseOrInvalid(SubscriptionId, m.groups!.subscriptionId, "subscriptionId");
    const resourceGroup = parseOrInvalid(ResourceGroupName, m.groups!.resourceGroup, "resourceGroupName");
    const accounts = await listAccountsFor(principal, { subscriptionId, resourceGroup });
    return json(200, { value: await Promise.all(accounts.map((a) => accountJson(a, shape))) });
  }
  m = routes.account.exec(path);
  if (m) {
    const ref = accountRefOf(m.groups!.subscriptionId!, m.groups!.resourceGroup!, m.groups!.name!);
    if (method === "GET") return readAccount(principal, ref, apiVersion);
    if (method === "DELETE")
      return (await deleteAccountFor(principal, ref))
        ? new Response(null, { status: 200 })
        : new Response(null, { status: 204 });
    if (method === "PUT" || method === "PATCH") return writeAccount(request, principal, ref, apiVersion, armToken);
  }
  m = routes.checkKey.exec(path);
  if (m && method === "POST") {
    const ref = accountRefOf(m.groups!.subscriptionId!, m.groups!.resourceGroup!, m.groups!.name!);
    const account = await checkKeyNowFor(principal, ref);
    return json(200, await accountJson(account, accountShape(apiVersion)), { ETag: etagOf(account) });
  }
  m = routes.accountAction.exec(path);
  if (m && method === "POST") {
    const ref = accountRefOf(m.groups!.subscriptionId!, m.groups!.resourceGroup!, m.groups!.name!);
    if (m.groups!.action!.toLowerCase() === "syncstoragekeys") return syncStorageKeys(request, principal, ref);
    return listEdgePolicies(request, principal, ref);
  }
  m = routes.operation.exec(path);
  if (m && method === "GET") {
    if (m.groups!.kind!.toLowerCase() === "mediaservicesoperationstatuses")
      return operationStatus(principal, m.groups!);
    return operationResult(request, principal, m.groups!, apiVersion);
  }
  m = routes.bySubscription.exec(path);
  if (m && method === "GET" && bySubscriptionApiVersions.includes(apiVersion)) {
    const subscriptionId = parseOrInvalid(SubscriptionId, m.groups!.subscriptionId, "subscriptionId");
    return readAccountBySubscription(principal, subscriptionId, decodeURIComponent(m.groups!.name!), apiVersion);
  }
  const keyVersionUsage = await routeKeyVersionUsage(method, path, principal);
  if (keyVersionUsage) return keyVersionUsage;
  return json(404, { error: { code: "InvalidResourceType", message: `No ${method} operation exists at '${path}'.` } });
}

/**
 * Every PUT and PATCH writes under one subscription: a caller who may not write there is refused
 * before its body is read, so the service never reads (or holds) what an unauthorized caller sends.
 * Each operation authorizes again with its own scope.
 */
async function authorizeWriteBeforeBody(principal: Principal, path: string): Promise<void> {
  const subscription = /^\/subscriptions\/([^/]+)\//i.exec(path)?.[1];
  if (!subscription) return;
  const subscriptionId = parseOrInvalid(SubscriptionId, subscription, "subscriptionId");
  await authorize(principal, {
    subscriptionId,
    action: "write",
    operation: "Microsoft.Media/mediaservices/write",
    target: path,
  });
}

/** Every request of the REST API: authenticate, check the api-version, route, and map errors to ARM's shape. */
export async function handleMediaApi(request: Request): Promise<Response> {
  const url = new URL(request.url);
  try {
    const authorization = request.headers.get("authorization");
    const principal = await principalFromBearer(authorization);
    // The vault's facts and the identities a request links are read from ARM as the caller: the
    // service sees only what they see.
    const armToken = callerArmToken(principal, authorization!.replace(/^Bearer\s+/i, ""));
    const apiVersion = url.searchParams.get("api-version");
    const resource = mediaResourcePath(url.pathname);
    const supported = resource?.type.apiVersions ?? mediaServicesApiVersions;
    if (!apiVersion)
      throw new DomainError(
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
      );
    if (!supported.includes(apiVersion)) {
      throw new DomainError(
        "InvalidApiVersionParameter",
        `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(",")}'.`,
      );
    }
    if (request.method === "PUT" || request.method === "PATCH") await authorizeWriteBeforeBody(principal, url.pathname);
    return resource
      ? await routeMediaResource(request, principal, resource)
      : await route(request, principal, url.pathname, armToken, apiVersion);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    // Denied before anyone is known: counted per source, audited once a minute (not a row per request).
    if (err.status === 401)
      countAnonymousRefusal(sourceOf(request), { path: `${request.method} ${url.pathname}`, reason: err.code });
    const challenge: Record<string, string> =
      err.status === 401
        ? {
            "WWW-Authenticate": `Bearer authorization_uri="${getConfig().endpoints.authorityHost}/common", error="invalid_token", error_description="${err.code}"`,
          }
        : {};
    if (err.retryAfterSeconds) challenge["Retry-After"] = String(err.retryAfterSeconds);
    return json(err.status, armErrorBody(err), challenge);
  }
}
