import "server-only";
import { z } from "zod";
import { Location, ResourceGroupName, SubscriptionId } from "@/lib/accounts/schemas";
import { checkKeyNowFor, switchToCustomerKeyFor, switchToSystemKeyFor } from "@/lib/accounts/encryption";
import { assertAllowed, keyStateOf } from "@/lib/accounts/policy";
import {
  accountResourceId,
  addSystemIdentityFor,
  deleteAccountFor,
  getAccountFor,
  listAccountsFor,
  putAccountFor,
  setUserAssignedIdentitiesFor,
  updateAccountFor,
} from "@/lib/accounts/service";
import type { AccountRecord, AccountRef } from "@/lib/accounts/store";
import { vaultLookupAs, vaultLookupAsKeyIdentity } from "@/lib/azure/arm-vaults";
import { callerArmToken } from "@/lib/azure/on-behalf-of";
import { resolveUserAssignedIdentity, type UserAssignedIdentity } from "@/lib/azure/user-identities";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { countAnonymousRefusal, sourceOf } from "@/lib/auth/anonymous-refusals";
import { authorize } from "@/lib/auth/authorize";
import { principalFromBearer } from "@/lib/auth/bearer";
import type { Principal } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { armErrorBody, DomainError, parseOrInvalid } from "@/lib/errors";
import { accountRefOf, json, readBody } from "./http";
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
};

const AccountBody = z.object({
  location: Location,
  tags: z.record(z.string(), z.string()).optional(),
  identity: z
    .object({
      type: z.enum(["None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"]),
      userAssignedIdentities: z.record(z.string(), z.object({}).passthrough().nullable()).optional(),
    })
    .optional(),
  properties: z
    .object({
      encryption: z
        .object({
          type: z.enum(["SystemKey", "CustomerKey"]),
          keyVaultProperties: z.object({ keyIdentifier: z.string().min(1).optional() }).optional(),
          identity: z
            .object({ useSystemAssignedIdentity: z.boolean().optional(), userAssignedIdentity: z.string().optional() })
            .optional(),
        })
        .optional(),
    })
    .optional(),
});
type AccountBody = z.infer<typeof AccountBody>;

function mediaServiceJson(a: AccountRecord) {
  const encryption =
    a.encryptionType === "CustomerKey"
      ? {
          type: "CustomerKey",
          keyVaultProperties: { keyIdentifier: a.keyIdentifier, currentKeyIdentifier: a.accountKey?.wrappedBy },
          identity: {
            useSystemAssignedIdentity: !a.encryptionIdentity,
            ...(a.encryptionIdentity ? { userAssignedIdentity: a.encryptionIdentity } : {}),
          },
          status: keyStateOf(a) === "CustomerKeyInaccessible" ? "CustomerKeyInaccessible" : "Active",
        }
      : { type: "SystemKey" };
  return {
    id: accountResourceId(a),
    name: a.name,
    type: "Microsoft.Media/mediaservices",
    location: a.location,
    tags: {},
    identity: identityJson(a),
    properties: {
      mediaServiceId: a.id,
      provisioningState: "Succeeded",
      storageAccounts: [],
      storageAuthentication: "System",
      encryption,
      keyDelivery: { accessControl: { defaultAction: "Allow" } },
      publicNetworkAccess: "Enabled",
    },
    systemData: { createdAt: a.createdAt.toISOString(), lastModifiedAt: a.updatedAt.toISOString() },
  };
}

const identityTypes = {
  None: "None",
  SystemAssigned: "SystemAssigned",
  UserAssigned: "UserAssigned",
  SystemAssignedUserAssigned: "SystemAssigned,UserAssigned",
} as const;

function identityJson(a: AccountRecord) {
  const userAssigned = (a.userAssignedIdentities ?? {}) as Record<string, { principalId: string; clientId: string }>;
  return {
    type: identityTypes[a.identityType],
    ...(a.principalId ? { principalId: a.principalId, tenantId: a.tenantId } : {}),
    ...(Object.keys(userAssigned).length ? { userAssignedIdentities: userAssigned } : {}),
  };
}

const etagOf = (a: AccountRecord) => `"${a.version}"`;

/** The caller's ARM token, fetched only by the requests that need it (lib/azure/on-behalf-of.ts). */
type ArmToken = () => Promise<string | null>;

/**
 * The user-assigned identities a body asks for, resolved as the caller, and so with the caller's
 * right to assign each checked, before anything is written.
 */
async function requestedUserIdentities(
  body: Partial<AccountBody>,
  armToken: ArmToken,
): Promise<Record<string, UserAssignedIdentity> | null> {
  if (!body.identity?.type.includes("UserAssigned")) return null;
  const requested = Object.entries(body.identity.userAssignedIdentities ?? {})
    .filter(([, v]) => v !== null)
    .map(([id]) => id);
  if (!requested.length)
    throw new DomainError(
      "InvalidRequestContent",
      "identity.userAssignedIdentities must name at least one identity for UserAssigned.",
      "identity.userAssignedIdentities",
    );
  const token = await armToken();
  return Object.fromEntries(
    await Promise.all(requested.map(async (id) => [id, await resolveUserAssignedIdentity(id, token)] as const)),
  );
}

/** The account after applying what a PUT or PATCH body asks of identity and encryption. */
async function applyChanges(
  principal: Principal,
  ref: AccountRef,
  account: AccountRecord,
  body: Partial<AccountBody>,
  userAssigned: Record<string, UserAssignedIdentity> | null,
  armToken: ArmToken,
): Promise<AccountRecord> {
  assertAllowed(account, "account.update");
  const type = body.identity?.type;
  const hasSystem = account.identityType === "SystemAssigned" || account.identityType === "SystemAssignedUserAssigned";
  if (type && !type.includes("SystemAssigned") && hasSystem) {
    throw new DomainError(
      "InvalidRequestContent",
      "An account's system-assigned identity cannot be removed while the account exists.",
      "identity.type",
    );
  }
  if (type?.includes("SystemAssigned") && !hasSystem) account = await addSystemIdentityFor(principal, ref);
  if (userAssigned) account = await setUserAssignedIdentitiesFor(principal, ref, userAssigned);
  const encryption = body.properties?.encryption;
  if (encryption?.type === "CustomerKey") {
    const keyIdentifier = encryption.keyVaultProperties?.keyIdentifier;
    if (!keyIdentifier)
      throw new DomainError(
        "InvalidRequestContent",
        "properties.encryption.keyVaultProperties.keyIdentifier is required for CustomerKey.",
        "properties.encryption.keyVaultProperties.keyIdentifier",
      );
    const userAssignedIdentity = encryption.identity?.useSystemAssignedIdentity
      ? null
      : (encryption.identity?.userAssignedIdentity ?? null);
    const assigned = Object.keys((account.userAssignedIdentities ?? {}) as object);
    if (userAssignedIdentity && !assigned.some((id) => id.toLowerCase() === userAssignedIdentity.toLowerCase())) {
      throw new DomainError(
        "InvalidRequestContent",
        `The identity ${userAssignedIdentity} is not one of the account's user-assigned identities: add it to identity.userAssignedIdentities first.`,
        "properties.encryption.identity.userAssignedIdentity",
      );
    }
    const changed =
      account.encryptionType !== "CustomerKey" ||
      account.keyIdentifier !== keyIdentifierOf(keyIdentifier).id ||
      (account.encryptionIdentity ?? null) !== userAssignedIdentity;
    if (changed) {
      // The vault as the caller sees it; a daemon has no user to act for, so as the key's identity sees it.
      const token = await armToken();
      const validation = await switchToCustomerKeyFor(
        principal,
        ref,
        { keyIdentifier, userAssignedIdentity },
        token ? vaultLookupAs(token) : vaultLookupAsKeyIdentity(),
      );
      if (!validation.ok) throw validation.failure;
    }
  } else if (encryption?.type === "SystemKey" && account.encryptionType === "CustomerKey") {
    await switchToSystemKeyFor(principal, ref);
  }
  return getAccountFor(principal, ref);
}

async function route(request: Request, principal: Principal, path: string, armToken: ArmToken): Promise<Response> {
  const method = request.method;
  let m = routes.listBySubscription.exec(path);
  if (m && method === "GET") {
    const subscriptionId = parseOrInvalid(SubscriptionId, m.groups!.subscriptionId, "subscriptionId");
    return json(200, { value: (await listAccountsFor(principal, { subscriptionId })).map(mediaServiceJson) });
  }
  m = routes.listByResourceGroup.exec(path);
  if (m && method === "GET") {
    const subscriptionId = parseOrInvalid(SubscriptionId, m.groups!.subscriptionId, "subscriptionId");
    const resourceGroup = parseOrInvalid(ResourceGroupName, m.groups!.resourceGroup, "resourceGroupName");
    return json(200, {
      value: (await listAccountsFor(principal, { subscriptionId, resourceGroup })).map(mediaServiceJson),
    });
  }
  m = routes.account.exec(path);
  if (m) {
    const ref = accountRefOf(m.groups!.subscriptionId!, m.groups!.resourceGroup!, m.groups!.name!);
    if (method === "GET") {
      const account = await getAccountFor(principal, ref);
      return json(200, mediaServiceJson(account), { ETag: etagOf(account) });
    }
    if (method === "DELETE")
      return (await deleteAccountFor(principal, ref))
        ? new Response(null, { status: 200 })
        : new Response(null, { status: 204 });
    if (method === "PUT" || method === "PATCH") {
      const body = parseOrInvalid(
        method === "PUT" ? AccountBody : AccountBody.partial(),
        await readBody(request),
        "body",
      );
      const userAssigned = await requestedUserIdentities(body, armToken);
      const existing =
        method === "PUT"
          ? await putAccountFor(
              principal,
              {
                ...ref,
                location: body.location!,
                identityType: body.identity?.type.includes("SystemAssigned") ? "SystemAssigned" : "None",
              },
              body.properties?.encryption?.type,
            )
          : { account: await updateAccountFor(principal, ref), created: false };
      const ifMatch = request.headers.get("if-match");
      if (!existing.created && ifMatch && ifMatch !== "*" && ifMatch !== etagOf(existing.account)) {
        throw new DomainError(
          "PreconditionFailed",
          `The account changed since ETag ${ifMatch}; its ETag is now ${etagOf(existing.account)}. Read it again and retry.`,
        );
      }
      // A new account was created with its system-assigned identity; user-assigned ones attach now.
      const account = await applyChanges(principal, ref, existing.account, body, userAssigned, armToken);
      return json(existing.created ? 201 : 200, mediaServiceJson(account), { ETag: etagOf(account) });
    }
  }
  m = routes.checkKey.exec(path);
  if (m && method === "POST") {
    const ref = accountRefOf(m.groups!.subscriptionId!, m.groups!.resourceGroup!, m.groups!.name!);
    const account = await checkKeyNowFor(principal, ref);
    return json(200, mediaServiceJson(account), { ETag: etagOf(account) });
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
      : await route(request, principal, url.pathname, armToken);
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
