import "server-only";
import { z } from "zod";
import {
  etagOf,
  putAccountFor,
  updateAccountFor,
  type AccountChanges,
  type EncryptionChange,
} from "@/lib/accounts/changes";
import {
  findOperation,
  operationInProgress,
  type OperationInput,
  type OperationRecord,
  type VaultSource,
} from "@/lib/accounts/operations";
import { processOwner, runOperation } from "@/lib/accounts/operation-runner";
import { keyStateOf } from "@/lib/accounts/policy";
import { Location, ResourceGroupName, SubscriptionId } from "@/lib/accounts/schemas";
import { systemDataJson } from "@/lib/accounts/system-data";
import { defaultMinimumTlsVersion } from "@/lib/accounts/tls-floor";
import { checkKeyNowFor } from "@/lib/accounts/encryption";
import { accountResourceId, deleteAccountFor, getAccountFor, listAccountsFor } from "@/lib/accounts/service";
import {
  checkStorageAccounts,
  defaultActions,
  minimumTlsVersions,
  publicNetworkAccesses,
  settingsOf,
  storageAccountTypes,
  storageAuthentications,
  type AccountSettings,
} from "@/lib/accounts/settings";
import type { AccountRecord, AccountRef } from "@/lib/accounts/store";
import { authorize } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";
import { vaultLookupAs } from "@/lib/azure/arm-vaults";
import { assertStorageAccountsExist, isStorageAccountId } from "@/lib/azure/storage-accounts";
import { resolveUserAssignedIdentity } from "@/lib/azure/user-identities";
import { DomainError, isErrorCode, parseOrInvalid } from "@/lib/errors";
import { encryptionIdentityOf, keyIdentifierOf } from "@/lib/keys/hierarchy";
import { parseRange } from "@/lib/net/addresses";
import { accountRefOf, json, publicUrlOf, readBody } from "./http";
import { listQueryOf, pageFrom, sqlPageOf, type ListSpec } from "./paging";
import { armPath, type ArmRequest, type ArmRoute, type ArmToken } from "./router";

/**
 * Microsoft.Media/mediaservices on the wire, per api-version: the bodies each version accepts
 * (what a version does not define is refused, never dropped), the account as each version shows
 * it, and the long-running operations of 2021-06-01 and later (Azure-AsyncOperation, Location,
 * Retry-After, then .../mediaServicesOperationStatuses/{id} and .../mediaServicesOperationResults/{id}).
 * Older versions answer PUT and PATCH when the work is done, as those versions did.
 */

/** The api-versions of Microsoft.Media/mediaservices this API speaks (those @azure/arm-mediaservices 13.x sends, and older). */
export const mediaServicesApiVersions = ["2020-05-01", "2021-05-01", "2021-06-01", "2021-11-01", "2023-01-01"];

export interface AccountShape {
  apiVersion: string;
  /** UserAssigned identities, encryption.identity and storageAccounts[].identity (2021-06-01+). */
  userAssigned: boolean;
  /** keyDelivery and systemData (2021-05-01+). */
  keyDelivery: boolean;
  /** publicNetworkAccess and long-running PUT/PATCH (2021-06-01+). */
  modern: boolean;
  /** minimumTlsVersion (2023-01-01). */
  minimumTlsVersion: boolean;
}

export function accountShape(apiVersion: string): AccountShape {
  const at = (since: string) => apiVersion >= since;
  return {
    apiVersion,
    userAssigned: at("2021-06-01"),
    keyDelivery: at("2021-05-01"),
    modern: at("2021-06-01"),
    minimumTlsVersion: at("2023-01-01"),
  };
}

/** Seconds a client waits between polls of an operation. */
const RETRY_AFTER_SECONDS = 1;

const ResourceIdentityBody = z
  .object({ useSystemAssignedIdentity: z.boolean(), userAssignedIdentity: z.string().min(1).optional() })
  .strict();

/** Read-only fields a client may send back as it read them (Terraform-style tools PUT what they GET); ignored. */
const readOnly = z.unknown().optional();

const IdentityBody = z
  .object({
    type: z.enum(["None", "SystemAssigned", "UserAssigned", "SystemAssigned,UserAssigned"]),
    principalId: readOnly,
    tenantId: readOnly,
    userAssignedIdentities: z.record(z.string(), z.object({}).passthrough().nullable()).optional(),
  })
  .strict();

const StorageAccountBody = z
  .object({
    id: z.string().refine(isStorageAccountId, "must be the ARM id of a storage account"),
    type: z.enum(storageAccountTypes),
    status: readOnly,
    identity: ResourceIdentityBody.optional(),
  })
  .strict();

const EncryptionBody = z
  .object({
    type: z.enum(["SystemKey", "CustomerKey"]),
    keyVaultProperties: z
      .object({ keyIdentifier: z.string().min(1).optional(), currentKeyIdentifier: readOnly })
      .strict()
      .optional(),
    identity: ResourceIdentityBody.optional(),
    status: readOnly,
  })
  .strict();

const KeyDeliveryBody = z
  .object({
    accessControl: z
      .object({
        defaultAction: z.enum(defaultActions).optional(),
        ipAllowList: z
          .array(z.string().refine((e) => parseRange(e) !== null, "must be an IP address or CIDR range"))
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const PropertiesBody = z
  .object({
    mediaServiceId: readOnly,
    provisioningState: readOnly,
    privateEndpointConnections: readOnly,
    storageAccounts: z.array(StorageAccountBody).optional(),
    storageAuthentication: z.enum(storageAuthentications).nullable().optional(),
    encryption: EncryptionBody.optional(),
    keyDelivery: KeyDeliveryBody.optional(),
    publicNetworkAccess: z.enum(publicNetworkAccesses).nullable().optional(),
    minimumTlsVersion: z.enum(minimumTlsVersions).optional(),
  })
  .strict();

/** The body of the latest version; older versions refuse what they do not define (refuseUndefined). */
function accountBody(patch: boolean) {
  return z
    .object({
      location: patch ? Location.optional() : Location,
      tags: z.record(z.string(), z.string()).optional(),
      identity: IdentityBody.optional(),
      properties: PropertiesBody.optional(),
      id: readOnly,
      name: readOnly,
      type: readOnly,
      systemData: readOnly,
    })
    .strict();
}

/** What the body sets that the api-version does not define: refused, naming the field and the version that has it. */
function refuseUndefined(body: AccountBody, shape: AccountShape): void {
  const p = body.properties;
  const since = (field: string, version: string) =>
    new DomainError(
      "InvalidRequestContent",
      `${field} is not defined at api-version ${shape.apiVersion}: use api-version ${version} or later.`,
      field,
    );
  if (!shape.userAssigned) {
    if (body.identity && !["None", "SystemAssigned"].includes(body.identity.type))
      throw new DomainError(
        "InvalidRequestContent",
        `identity.type '${body.identity.type}' is not defined at api-version ${shape.apiVersion} (None or SystemAssigned): use api-version 2021-06-01 or later for user-assigned identities.`,
        "identity.type",
      );
    if (body.identity?.userAssignedIdentities) throw since("identity.userAssignedIdentities", "2021-06-01");
    if (p?.encryption?.identity) throw since("properties.encryption.identity", "2021-06-01");
    p?.storageAccounts?.forEach((s, i) => {
      if (s.identity) throw since(`properties.storageAccounts[${i}].identity`, "2021-06-01");
    });
  }
  if (!shape.keyDelivery && p?.keyDelivery) throw since("properties.keyDelivery", "2021-05-01");
  if (!shape.modern && p?.publicNetworkAccess !== undefined)
    throw since("properties.publicNetworkAccess", "2021-06-01");
  if (!shape.minimumTlsVersion && p?.minimumTlsVersion !== undefined)
    throw since("properties.minimumTlsVersion", "2023-01-01");
}
type AccountBody = z.infer<ReturnType<typeof accountBody>>;

const identityTypes = {
  None: "None",
  SystemAssigned: "SystemAssigned",
  UserAssigned: "UserAssigned",
  SystemAssignedUserAssigned: "SystemAssigned,UserAssigned",
} as const;

function identityJson(a: AccountRecord, shape: AccountShape) {
  const userAssigned = (a.userAssignedIdentities ?? {}) as Record<string, { principalId: string; clientId: string }>;
  const type = shape.userAssigned
    ? identityTypes[a.identityType]
    : a.identityType === "SystemAssigned" || a.identityType === "SystemAssignedUserAssigned"
      ? "SystemAssigned"
      : "None";
  return {
    type,
    ...(a.principalId && type.startsWith("SystemAssigned") ? { principalId: a.principalId, tenantId: a.tenantId } : {}),
    ...(shape.userAssigned && Object.keys(userAssigned).length ? { userAssignedIdentities: userAssigned } : {}),
  };
}

/** The encryption the account has, or, while an operation switches it, the one it is switching to (ARM shows the goal). */
function encryptionJson(a: AccountRecord, shape: AccountShape, pending: OperationInput | null) {
  const current = a.accountKey?.wrappedBy;
  const status = keyStateOf(a) === "CustomerKeyInaccessible" ? "CustomerKeyInaccessible" : "Active";
  const goal =
    pending?.kind === "customerKey"
      ? { keyIdentifier: pending.keyIdentifier, identity: pending.userAssignedIdentity }
      : pending?.kind === "systemKey" || a.encryptionType !== "CustomerKey"
        ? null
        : { keyIdentifier: a.keyIdentifier, identity: a.encryptionIdentity };
  if (!goal) return { type: "SystemKey" };
  return {
    type: "CustomerKey",
    keyVaultProperties: {
      keyIdentifier: goal.keyIdentifier,
      ...(a.encryptionType === "CustomerKey" ? { currentKeyIdentifier: current } : {}),
    },
    ...(shape.userAssigned
      ? {
          identity: {
            useSystemAssignedIdentity: !goal.identity,
            ...(goal.identity ? { userAssignedIdentity: goal.identity } : {}),
          },
          status,
        }
      : {}),
  };
}

export function mediaServiceJson(a: AccountRecord, shape: AccountShape, pending: OperationInput | null = null) {
  const settings = settingsOf(a);
  return {
    id: accountResourceId(a),
    name: a.name,
    type: "Microsoft.Media/mediaservices",
    location: a.location,
    tags: settings.tags,
    identity: identityJson(a, shape),
    properties: {
      mediaServiceId: a.id,
      ...(shape.modern ? { provisioningState: a.provisioningState } : {}),
      storageAccounts: settings.storageAccounts.map((s) => ({
        id: s.id,
        type: s.type,
        ...(shape.userAssigned && s.identity ? { identity: s.identity } : {}),
        ...(shape.userAssigned ? { status: "Ok" } : {}),
      })),
      ...(settings.storageAuthentication ? { storageAuthentication: settings.storageAuthentication } : {}),
      encryption: encryptionJson(a, shape, pending),
      ...(shape.keyDelivery
        ? {
            keyDelivery: {
              // ipAllowList is always there, empty with Allow, as Azure shows it.
              accessControl: {
                defaultAction: settings.keyDelivery.defaultAction,
                ipAllowList: settings.keyDelivery.ipAllowList,
              },
            },
          }
        : {}),
      ...(shape.modern ? { publicNetworkAccess: settings.publicNetworkAccess, privateEndpointConnections: [] } : {}),
      ...(shape.minimumTlsVersion ? { minimumTlsVersion: settings.minimumTlsVersion } : {}),
    },
    ...(shape.keyDelivery
      ? {
          systemData: systemDataJson(a),
        }
      : {}),
  };
}

/** The account as the api-version shows it, with the goal of an operation in progress. */
export async function accountJson(a: AccountRecord, shape: AccountShape) {
  const pending = a.provisioningState === "InProgress" ? await operationInProgress(a.id) : null;
  return mediaServiceJson(a, shape, (pending?.input as OperationInput | undefined) ?? null);
}

/**
 * How the operation will read the key's vault: as the caller sees it, read now (the operation
 * has no token of the caller's), or, for a caller with no user to act for, as the key's identity.
 */
async function vaultSourceFor(keyIdentifier: string, armToken: ArmToken): Promise<VaultSource> {
  const token = await armToken();
  if (!token) return { from: "keyIdentity" };
  const { vaultName } = keyIdentifierOf(keyIdentifier);
  try {
    return { from: "caller", facts: await vaultLookupAs(token)(vaultName, "") };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    return { from: "caller", facts: null, error: { code: err.code, message: err.message } };
  }
}

const invalid = (message: string, field: string) => new DomainError("InvalidRequestContent", message, field);

/**
 * The identity that reads the customer key when the body names none. A version that cannot name
 * one (before 2021-06-01) keeps the one that reads the key now, so a GET then PUT at that version
 * changes nothing; otherwise, and for a new account, the system-assigned identity.
 */
function defaultKeyIdentity(existing: AccountRecord | null, shape: AccountShape) {
  if (!shape.userAssigned && existing?.encryptionType === "CustomerKey" && existing.encryptionIdentity)
    return { useSystemAssignedIdentity: false, userAssignedIdentity: existing.encryptionIdentity };
  return { useSystemAssignedIdentity: true };
}

async function encryptionChange(
  body: AccountBody,
  existing: AccountRecord | null,
  shape: AccountShape,
  armToken: ArmToken,
): Promise<EncryptionChange | undefined> {
  const encryption = body.properties?.encryption;
  // A PUT without it keeps the root key too: a key is switched when asked, never by omission.
  if (!encryption) return undefined;
  const named = encryption.identity;
  if (named?.useSystemAssignedIdentity && named.userAssignedIdentity)
    throw invalid(
      `properties.encryption.identity: useSystemAssignedIdentity is true and a userAssignedIdentity is named; they are mutually exclusive. Set useSystemAssignedIdentity to false to use ${named.userAssignedIdentity}, or leave userAssignedIdentity out.`,
      "properties.encryption.identity",
    );
  if (encryption.type === "SystemKey") {
    // The spec defines both for the customer key only; taking them and dropping them would hide a mistake.
    if (encryption.keyVaultProperties)
      throw invalid(
        "properties.encryption.keyVaultProperties: a system key takes no key vault properties (the service's own key is used). Leave keyVaultProperties out, or set type to CustomerKey to use that key.",
        "properties.encryption.keyVaultProperties",
      );
    if (named)
      throw invalid(
        "properties.encryption.identity: a system key takes no identity (the service reads its own key). Leave identity out, or set type to CustomerKey to have that identity read a customer key.",
        "properties.encryption.identity",
      );
    return { type: "SystemKey" };
  }
  const keyIdentifier = encryption.keyVaultProperties?.keyIdentifier;
  if (!keyIdentifier)
    throw new DomainError(
      "InvalidRequestContent",
      "properties.encryption.keyVaultProperties.keyIdentifier is required for CustomerKey.",
      "properties.encryption.keyVaultProperties.keyIdentifier",
    );
  keyIdentifierOf(keyIdentifier); // an identifier this service may call, before anything else
  const identity = named ?? defaultKeyIdentity(existing, shape);
  return { type: "CustomerKey", keyIdentifier, identity, vault: await vaultSourceFor(keyIdentifier, armToken) };
}

/**
 * PUT replaces: a setting the api-version defines and the body leaves out goes back to its default,
 * and one the version does not define (keyDelivery before 2021-05-01, publicNetworkAccess before
 * 2021-06-01, minimumTlsVersion before 2023-01-01, a storage account's identity before 2021-06-01)
 * is kept, since a client of that version cannot send it back. PATCH changes what the body names.
 */
function settingsChange(
  body: AccountBody,
  current: AccountSettings | null,
  put: boolean,
  shape: AccountShape,
): Partial<AccountSettings> {
  const p = body.properties ?? {};
  const settings: Partial<AccountSettings> = {};
  const replaced = (defined: boolean) => put && defined;
  if (body.tags !== undefined || put) settings.tags = body.tags ?? {};
  if (p.storageAccounts !== undefined || put) {
    const keptIdentity = (id: string) =>
      shape.userAssigned
        ? undefined
        : current?.storageAccounts.find((s) => s.id.toLowerCase() === id.toLowerCase())?.identity;
    settings.storageAccounts = (p.storageAccounts ?? []).map(({ id, type, identity = keptIdentity(id) }) => ({
      id,
      type,
      ...(identity ? { identity } : {}),
    }));
  }
  if (p.storageAuthentication !== undefined || put) settings.storageAuthentication = p.storageAuthentication ?? null;
  const access = p.keyDelivery?.accessControl;
  if (put && shape.keyDelivery)
    settings.keyDelivery = { defaultAction: access?.defaultAction ?? "Allow", ipAllowList: access?.ipAllowList ?? [] };
  else if (access) {
    const defaultAction = access.defaultAction ?? current?.keyDelivery.defaultAction ?? "Allow";
    settings.keyDelivery = {
      defaultAction,
      ipAllowList: access.ipAllowList ?? (defaultAction === "Deny" ? (current?.keyDelivery.ipAllowList ?? []) : []),
    };
  }
  if (p.publicNetworkAccess !== undefined || replaced(shape.modern))
    settings.publicNetworkAccess = p.publicNetworkAccess ?? "Enabled";
  if (p.minimumTlsVersion !== undefined || replaced(shape.minimumTlsVersion))
    settings.minimumTlsVersion = p.minimumTlsVersion ?? defaultMinimumTlsVersion();
  return settings;
}

/**
 * The user-assigned identities the account keeps, resolved as the caller (so with its right to
 * assign each checked). identity.type says which identities remain: a type without UserAssigned
 * (and a PUT without identity) keeps none. Before 2021-06-01 a version cannot name them: kept.
 */
async function userAssignedFrom(body: AccountBody, put: boolean, shape: AccountShape, armToken: ArmToken) {
  if (!shape.userAssigned) return null;
  const identity = body.identity;
  if (!identity) return put ? {} : null;
  if (!identity.type.includes("UserAssigned")) return {};
  const entries = identity.userAssignedIdentities ?? {};
  const requested = Object.entries(entries)
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

async function changesFrom(
  body: AccountBody,
  existing: AccountRecord | null,
  put: boolean,
  shape: AccountShape,
  armToken: ArmToken,
): Promise<AccountChanges> {
  const userAssignedIdentities = await userAssignedFrom(body, put, shape, armToken);
  const settings = settingsChange(body, existing ? settingsOf(existing) : null, put, shape);
  if (settings.storageAccounts?.length) {
    checkStorageAccounts(settings.storageAccounts); // before asking ARM about any of them
    const identityClientId = existing ? encryptionIdentityOf({ ...existing, encryptionIdentity: null }) : null;
    await assertStorageAccountsExist(
      settings.storageAccounts.map((s) => s.id),
      { armToken: await armToken(), identityClientId },
    );
  }
  return {
    identityType: body.identity
      ? body.identity.type.includes("SystemAssigned")
        ? "SystemAssigned"
        : "None"
      : put
        ? "None"
        : undefined,
    userAssignedIdentities,
    settings,
    encryption: await encryptionChange(body, existing, shape, armToken),
  };
}

/** Where a client polls an operation: the status (Azure-AsyncOperation) and the result (Location), on the host it called. */
function operationHeaders(request: Request, op: OperationRecord, apiVersion: string): Record<string, string> {
  const base = `${publicUrlOf(request).origin}/subscriptions/${op.subscriptionId}/providers/Microsoft.Media/locations/${op.location}`;
  return {
    "Azure-AsyncOperation": `${base}/mediaServicesOperationStatuses/${op.id}?api-version=${apiVersion}`,
    Location: `${base}/mediaServicesOperationResults/${op.id}?api-version=${apiVersion}`,
    "Retry-After": String(RETRY_AFTER_SECONDS),
  };
}

/** The error an operation ended with, in this service's vocabulary. */
const operationError = (op: { errorCode: string | null; errorMessage: string | null }) =>
  new DomainError(
    isErrorCode(op.errorCode) ? op.errorCode : "InvalidRequestContent",
    op.errorMessage ?? "The operation failed.",
    "properties.encryption",
  );

/**
 * Versions before 2021-06-01 have no long-running PUT or PATCH: the request runs the operation
 * itself (this process already holds it) and answers with its outcome.
 */
async function awaitOperation(op: OperationRecord): Promise<void> {
  const outcome = await runOperation(op.id, processOwner);
  if (outcome.status === "Succeeded") return;
  const ended = await findOperation(op.subscriptionId, op.id);
  if (ended?.status === "Failed") throw operationError(ended);
  throw new DomainError(
    "KeyVaultUnavailable",
    "Key Vault did not answer; the change of key is retried shortly: read the account to see its encryption.",
    undefined,
    5,
  );
}

/**
 * PUT or PATCH of an account. From 2021-06-01 a change of root key answers at once (PUT 201/200,
 * PATCH 202) with the operation to poll; older versions wait for it and answer with the outcome.
 */
export async function writeAccount(
  request: Request,
  principal: Principal,
  ref: AccountRef,
  apiVersion: string,
  armToken: ArmToken,
): Promise<Response> {
  const shape = accountShape(apiVersion);
  const put = request.method === "PUT";
  const body = parseOrInvalid(accountBody(!put), await readBody(request), "body");
  refuseUndefined(body, shape);
  const existing = await getAccountFor(principal, ref).catch((err: unknown) => {
    if (err instanceof DomainError && err.code === "ResourceNotFound") return null;
    throw err;
  });
  if (!put && !existing) await getAccountFor(principal, ref); // PATCH of nothing: 404
  const changes = await changesFrom(body, existing, put, shape, armToken);
  changes.ifMatch = request.headers.get("if-match");
  changes.alwaysOperation = shape.modern;
  // The account is read once before the write (above) and once after it (the answer).
  const result = put
    ? await putAccountFor(principal, { ...ref, ...changes, location: body.location! }, existing)
    : await updateAccountFor(principal, ref, changes, existing ?? undefined);
  const waited = result.operation && !shape.modern;
  if (waited) await awaitOperation(result.operation!);
  const account = waited ? ((await getAccountFor(principal, ref)) as AccountRecord) : result.account;
  const status = put ? (result.created ? 201 : 200) : shape.modern && result.operation ? 202 : 200;
  const headers: Record<string, string> = { ETag: etagOf(account) };
  if (shape.modern && result.operation) Object.assign(headers, operationHeaders(request, result.operation, apiVersion));
  return json(status, await accountJson(account, shape), headers);
}

export async function readAccount(principal: Principal, ref: AccountRef, apiVersion: string): Promise<Response> {
  const account = await getAccountFor(principal, ref);
  return json(200, await accountJson(account, accountShape(apiVersion)), { ETag: etagOf(account) });
}

/** 2020-05-01 and 2021-05-01 define GET /subscriptions/{id}/providers/Microsoft.Media/mediaservices/{name}. */
export async function readAccountBySubscription(
  principal: Principal,
  subscriptionId: string,
  name: string,
  apiVersion: string,
): Promise<Response> {
  const matches = (await listAccountsFor(principal, { subscriptionId })).filter(
    (a) => a.name.toLowerCase() === name.toLowerCase(),
  );
  if (matches.length !== 1)
    throw new DomainError(
      "ResourceNotFound",
      matches.length
        ? `More than one account named '${name}' exists in the subscription: read it by its resource group.`
        : `The Resource 'Microsoft.Media/mediaservices/${name}' was not found in the subscription.`,
    );
  const { identity: _identity, ...account } = await accountJson(matches[0]!, accountShape(apiVersion));
  return json(200, account);
}

/** The operations of 2020-05-01 and 2021-05-01 only (later versions dropped the subscription-level GET). */
export const bySubscriptionApiVersions = ["2020-05-01", "2021-05-01"];

const OperationPath = z.object({ subscriptionId: SubscriptionId, location: Location, operationId: z.string() });

async function authorizedOperation(principal: Principal, params: Record<string, string>): Promise<OperationRecord> {
  const { subscriptionId, location, operationId } = parseOrInvalid(OperationPath, params, "path");
  await authorize(principal, {
    subscriptionId,
    action: "read",
    operation: "Microsoft.Media/locations/mediaServicesOperationStatuses/read",
    target: `/subscriptions/${subscriptionId}`,
  });
  const op = await findOperation(subscriptionId, operationId);
  if (!op || op.location !== location)
    throw new DomainError("ResourceNotFound", `The operation '${operationId}' was not found in ${location}.`);
  return op;
}

/** GET .../locations/{location}/mediaServicesOperationStatuses/{id}: InProgress, Succeeded, or Failed with the error. */
export async function operationStatus(principal: Principal, params: Record<string, string>): Promise<Response> {
  const op = await authorizedOperation(principal, params);
  const body = {
    id: `/subscriptions/${op.subscriptionId}/providers/Microsoft.Media/locations/${op.location}/mediaServicesOperationStatuses/${op.id}`,
    name: op.id,
    status: op.status,
    startTime: op.startTime.toISOString(),
    ...(op.endTime ? { endTime: op.endTime.toISOString() } : {}),
    ...(op.status === "Failed" ? { error: { code: op.errorCode, message: op.errorMessage } } : {}),
  };
  return json(200, body, op.status === "InProgress" ? { "Retry-After": String(RETRY_AFTER_SECONDS) } : {});
}

/** GET .../locations/{location}/mediaServicesOperationResults/{id}: 202 while it runs, then the account (or the error). */
export async function operationResult(
  request: Request,
  principal: Principal,
  params: Record<string, string>,
  apiVersion: string,
): Promise<Response> {
  const op = await authorizedOperation(principal, params);
  if (op.status === "InProgress")
    return new Response(null, { status: 202, headers: operationHeaders(request, op, apiVersion) });
  if (op.status === "Failed") throw operationError(op);
  const account = await findAccountOf(principal, op);
  return json(200, await accountJson(account, accountShape(apiVersion)), { ETag: etagOf(account) });
}

async function findAccountOf(principal: Principal, op: OperationRecord): Promise<AccountRecord> {
  const accounts = await listAccountsFor(principal, { subscriptionId: op.subscriptionId });
  const account = accounts.find((a) => a.id === op.accountId);
  if (!account) throw new DomainError("ResourceNotFound", "The account of this operation no longer exists.");
  return account;
}

const SyncStorageKeysBody = z.object({ id: z.string().optional() }).strict();

/**
 * POST .../syncStorageKeys: Azure re-reads a storage account's keys. This service reaches storage
 * with identities, never with keys, so there is nothing to re-read: it checks that the storage
 * account is one of the account's and answers 200, as Azure does. `id` is the storage account's
 * ARM id or, as the spec's example sends it, its name.
 */
export async function syncStorageKeys(request: Request, principal: Principal, ref: AccountRef): Promise<Response> {
  const { id } = parseOrInvalid(SyncStorageKeysBody, await readBody(request), "body");
  await authorize(principal, {
    subscriptionId: ref.subscriptionId,
    action: "write",
    operation: "Microsoft.Media/mediaservices/syncStorageKeys/action",
    target: accountResourceId(ref),
  });
  const account = await getAccountFor(principal, ref);
  const linked = settingsOf(account).storageAccounts;
  const named = (s: { id: string }) =>
    [s.id, s.id.slice(s.id.lastIndexOf("/") + 1)].some((n) => n.toLowerCase() === id?.toLowerCase());
  if (!id || !linked.some(named))
    throw new DomainError(
      "InvalidRequestContent",
      `body.id: name one of the account's storage accounts (${linked.map((s) => s.id).join(", ") || "it has none"}).`,
      "body.id",
    );
  return json(200, {});
}

const ListEdgePoliciesBody = z.object({ deviceId: z.string().optional() }).strict();

/**
 * POST .../listEdgePolicies: Azure's media edge devices report usage to an Event Hub it names.
 * This service has no edge devices, so no device has a policy: an empty EdgePolicies.
 */
export async function listEdgePolicies(request: Request, principal: Principal, ref: AccountRef): Promise<Response> {
  parseOrInvalid(ListEdgePoliciesBody, await readBody(request), "body");
  await getAccountFor(principal, ref);
  return json(200, {});
}

const sub = "/subscriptions/{subscriptionId}";
const provider = "/providers/Microsoft.Media/mediaservices";
const rg = `${sub}/resourceGroups/{resourceGroupName}`;
/** The account's path, the prefix of every sub-resource's. */
export const accountPath = `${rg}${provider}/{accountName}`;
const operationsPath = `${sub}/providers/Microsoft.Media/locations/{location}`;

const refOf = ({ params }: ArmRequest) =>
  accountRefOf(params.subscriptionId!, params.resourceGroupName!, params.accountName!);

/**
 * Account lists page (`@odata.nextLink`) but take no `$filter`, `$orderby` or `$top`, as the spec
 * defines them: by name, then resource group (names repeat across groups), in the database.
 */
const accountList: ListSpec<AccountRecord> = {
  keys: [
    { column: "nameKey", get: (a) => a.name.toLowerCase() },
    { column: "resourceGroupKey", get: (a) => a.resourceGroup.toLowerCase() },
  ],
};

async function listPage(req: ArmRequest, scope: { subscriptionId: string; resourceGroup?: string }) {
  const q = listQueryOf(req.url, accountList);
  const rows = await listAccountsFor(req.principal, scope, sqlPageOf(q, accountList));
  const page = pageFrom(rows, q, publicUrlOf(req.request), accountList, { inDatabase: true });
  const shape = accountShape(req.apiVersion);
  return json(200, { ...page, value: await Promise.all(page.value.map((a) => accountJson(a, shape))) });
}

const listBySubscription = (req: ArmRequest) =>
  listPage(req, { subscriptionId: parseOrInvalid(SubscriptionId, req.params.subscriptionId, "subscriptionId") });

const listByResourceGroup = (req: ArmRequest) =>
  listPage(req, {
    subscriptionId: parseOrInvalid(SubscriptionId, req.params.subscriptionId, "subscriptionId"),
    resourceGroup: parseOrInvalid(ResourceGroupName, req.params.resourceGroupName, "resourceGroupName"),
  });

async function deleteAccount(req: ArmRequest) {
  return new Response(null, { status: (await deleteAccountFor(req.principal, refOf(req))) ? 200 : 204 });
}

/** "Check now": an action on the account, as ARM names actions. */
async function checkCustomerKey(req: ArmRequest) {
  const account = await checkKeyNowFor(req.principal, refOf(req));
  return json(200, await accountJson(account, accountShape(req.apiVersion)), { ETag: etagOf(account) });
}

async function getBySubscription({ principal, params, apiVersion }: ArmRequest) {
  const subscriptionId = parseOrInvalid(SubscriptionId, params.subscriptionId, "subscriptionId");
  return readAccountBySubscription(principal, subscriptionId, params.accountName!, apiVersion);
}

const v = mediaServicesApiVersions;
/** Versions whose PUT and PATCH are long-running operations, and that have the operation endpoints. */
const lroVersions = v.filter((version) => accountShape(version).modern);
/** Microsoft.Media/mediaservices itself. */
export const accountRoutes: ArmRoute[] = [
  { method: "GET", pattern: armPath(`${sub}${provider}`), apiVersions: v, handler: listBySubscription },
  { method: "GET", pattern: armPath(`${rg}${provider}`), apiVersions: v, handler: listByResourceGroup },
  {
    method: "GET",
    pattern: armPath(accountPath),
    apiVersions: v,
    handler: (req) => readAccount(req.principal, refOf(req), req.apiVersion),
  },
  {
    method: "PUT",
    pattern: armPath(accountPath),
    apiVersions: v,
    handler: (req) => writeAccount(req.request, req.principal, refOf(req), req.apiVersion, req.armToken),
  },
  {
    method: "PATCH",
    pattern: armPath(accountPath),
    apiVersions: v,
    handler: (req) => writeAccount(req.request, req.principal, refOf(req), req.apiVersion, req.armToken),
  },
  { method: "DELETE", pattern: armPath(accountPath), apiVersions: v, handler: deleteAccount },
  { method: "POST", pattern: armPath(`${accountPath}/checkCustomerKey`), apiVersions: v, handler: checkCustomerKey },
  {
    method: "POST",
    pattern: armPath(`${accountPath}/syncStorageKeys`),
    apiVersions: v,
    handler: (req) => syncStorageKeys(req.request, req.principal, refOf(req)),
  },
  {
    method: "POST",
    pattern: armPath(`${accountPath}/listEdgePolicies`),
    apiVersions: v,
    handler: (req) => listEdgePolicies(req.request, req.principal, refOf(req)),
  },
  {
    method: "GET",
    pattern: armPath(`${operationsPath}/mediaServicesOperationStatuses/{operationId}`),
    apiVersions: lroVersions,
    handler: (req) => operationStatus(req.principal, req.params),
  },
  {
    method: "GET",
    pattern: armPath(`${operationsPath}/mediaServicesOperationResults/{operationId}`),
    apiVersions: lroVersions,
    handler: (req) => operationResult(req.request, req.principal, req.params, req.apiVersion),
  },
  {
    method: "GET",
    pattern: armPath(`${sub}${provider}/{accountName}`),
    apiVersions: bySubscriptionApiVersions,
    handler: getBySubscription,
  },
];
