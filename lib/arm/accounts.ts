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
import { resolveUserAssignedIdentity, type UserAssignedIdentity } from "@/lib/azure/user-identities";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import type { Principal } from "@/lib/auth/principal";
import { DomainError, parseOrInvalid } from "@/lib/errors";
import { accountRefOf, json, readBody } from "./http";
import { pageOf } from "./paging";
import { armPath, type ArmRequest, type ArmRoute, type ArmToken } from "./router";

/** The api-versions of Microsoft.Media/mediaservices this API speaks (those @azure/arm-mediaservices 13.x sends, and older). */
export const mediaServicesApiVersions = ["2020-05-01", "2021-05-01", "2021-06-01", "2021-11-01", "2023-01-01"];

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

const sub = "/subscriptions/{subscriptionId}";
const provider = "/providers/Microsoft.Media/mediaservices";
const rg = `${sub}/resourceGroups/{resourceGroupName}`;
/** The account's path, the prefix of every sub-resource's. */
export const accountPath = `${rg}${provider}/{accountName}`;

const refOf = ({ params }: ArmRequest) =>
  accountRefOf(params.subscriptionId!, params.resourceGroupName!, params.accountName!);

/** Account lists page (`@odata.nextLink`) but take no `$filter`, `$orderby` or `$top`, as the spec defines them. */
const byName = { key: (a: { name: string }) => a.name };

async function listBySubscription({ principal, params, url }: ArmRequest) {
  const subscriptionId = parseOrInvalid(SubscriptionId, params.subscriptionId, "subscriptionId");
  return json(200, pageOf((await listAccountsFor(principal, { subscriptionId })).map(mediaServiceJson), url, byName));
}

async function listByResourceGroup({ principal, params, url }: ArmRequest) {
  const subscriptionId = parseOrInvalid(SubscriptionId, params.subscriptionId, "subscriptionId");
  const resourceGroup = parseOrInvalid(ResourceGroupName, params.resourceGroupName, "resourceGroupName");
  const accounts = await listAccountsFor(principal, { subscriptionId, resourceGroup });
  return json(200, pageOf(accounts.map(mediaServiceJson), url, byName));
}

async function getAccount(req: ArmRequest) {
  const account = await getAccountFor(req.principal, refOf(req));
  return json(200, mediaServiceJson(account), { ETag: etagOf(account) });
}

async function deleteAccount(req: ArmRequest) {
  return new Response(null, { status: (await deleteAccountFor(req.principal, refOf(req))) ? 200 : 204 });
}

async function putOrPatchAccount(req: ArmRequest) {
  const { request, principal, armToken } = req;
  const ref = refOf(req);
  const method = request.method;
  const body = parseOrInvalid(method === "PUT" ? AccountBody : AccountBody.partial(), await readBody(request), "body");
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

/** "Check now": an action on the account, as ARM names actions. */
async function checkCustomerKey(req: ArmRequest) {
  const account = await checkKeyNowFor(req.principal, refOf(req));
  return json(200, mediaServiceJson(account), { ETag: etagOf(account) });
}

const v = mediaServicesApiVersions;
/** Microsoft.Media/mediaservices itself. */
export const accountRoutes: ArmRoute[] = [
  { method: "GET", pattern: armPath(`${sub}${provider}`), apiVersions: v, handler: listBySubscription },
  { method: "GET", pattern: armPath(`${rg}${provider}`), apiVersions: v, handler: listByResourceGroup },
  { method: "GET", pattern: armPath(accountPath), apiVersions: v, handler: getAccount },
  { method: "PUT", pattern: armPath(accountPath), apiVersions: v, handler: putOrPatchAccount },
  { method: "PATCH", pattern: armPath(accountPath), apiVersions: v, handler: putOrPatchAccount },
  { method: "DELETE", pattern: armPath(accountPath), apiVersions: v, handler: deleteAccount },
  { method: "POST", pattern: armPath(`${accountPath}/checkCustomerKey`), apiVersions: v, handler: checkCustomerKey },
];
