import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { randomBytes, randomUUID } from "node:crypto";
import { z } from "zod";
import { isUniqueViolation } from "@/lib/accounts/names";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { accountKey } from "@/lib/keys/hierarchy";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { mediaAccountFor, resolveMediaAccount, resourceNotFound, scopedAccountFor } from "./access";
import { manifestFilesOf } from "./encoded-asset";
import type { MediaList, MediaRecord, MediaScope, PutResult } from "./resource";
import { insertSecrets, openSecretsOf, sealSecrets } from "./secrets";
import * as store from "./store";
import { streamingPolicies, type StreamingPolicyName } from "./streaming-policies";

/** The contentKeys column: a locator's keys as stored; each value is a secret, named by the key id. */
export const StoredContentKeys = z.array(
  z.object({
    id: z.string(),
    type: z.string(),
    labelReferenceInStreamingPolicy: z.string(),
    policyName: z.string().nullable(),
  }),
);
export type StoredContentKey = z.infer<typeof StoredContentKeys>[number];

/** A content key a locator's creator supplies (or only names): its id, slot label and 128-bit value (base64). */
export interface SuppliedContentKey {
  id: string;
  labelReferenceInStreamingPolicy?: string;
  value?: string;
}

/** A new streaming locator, as a PUT gives it. */
export interface StreamingLocatorInput {
  assetName: string;
  streamingPolicyName: StreamingPolicyName;
  defaultContentKeyPolicyName?: string;
  /** ISO 8601 date-times. */
  startTime?: string;
  endTime?: string;
  streamingLocatorId?: string;
  alternativeMediaId?: string;
  filters: string[];
  contentKeys?: SuppliedContentKey[];
}

const access = (scope: MediaScope, name: string, request: Parameters<typeof scopedAccountFor>[2]) =>
  scopedAccountFor(scope, `streamingLocators/${name}`, request);
const writeRequest = { action: "write", armOperation: "streamingLocators/write", policy: "secrets.write" } as const;

/** The scope with its account authorized and read for creating the locator: putStreamingLocatorFor reuses it. */
export const resolveStreamingLocatorWrite = (scope: MediaScope, name: string) =>
  resolveMediaAccount(scope, `streamingLocators/${name}`, writeRequest);

async function findLocator(accountId: string, name: string): Promise<store.LocatorRow> {
  const locator = await store.findStreamingLocator({ accountId, name });
  if (!locator) throw resourceNotFound("streaming locator", name);
  return locator;
}

export async function listStreamingLocatorsFor(
  scope: MediaScope,
  page?: RowPage,
): Promise<MediaList<store.LocatorRow>> {
  const account = await access(scope, "", {
    action: "read",
    armOperation: "streamingLocators/read",
    policy: "media.read",
  });
  return { account, rows: await store.listStreamingLocators({ accountId: account.id, page }) };
}

export async function getStreamingLocatorFor(scope: MediaScope, name: string): Promise<MediaRecord<store.LocatorRow>> {
  const account = await access(scope, name, {
    action: "read",
    armOperation: "streamingLocators/read",
    policy: "media.read",
  });
  return { account, row: await findLocator(account.id, name) };
}

/** An asset's listStreamingLocators: the locators that publish it, without their keys. */
export async function listAssetStreamingLocatorsFor(
  scope: MediaScope,
  assetName: string,
): Promise<MediaList<store.LocatorRow>> {
  const account = await mediaAccountFor(
    scope.principal,
    { ...scope.ref, path: `assets/${assetName}` },
    { action: "write", armOperation: "assets/listStreamingLocators/action", policy: "media.read" },
  );
  // Locators store the asset's display name.
  const displayName = await store.assetNameOf({ accountId: account.id, name: assetName });
  if (displayName === null) throw resourceNotFound("asset", assetName);
  const locators = await store.listStreamingLocators({ accountId: account.id, assetName: displayName });
  return { account, rows: locators };
}

/** listContentKeys: the keys with their values, to a Contributor or Owner, while the account's key is usable. */
export async function listContentKeysFor(scope: MediaScope, name: string) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "streamingLocators/listContentKeys/action",
    policy: "secrets.read",
  });
  const locator = await findLocator(account.id, name);
  const values = await openSecretsOf(account.id, await accountKey(account), locator.id, "contentKey");
  await audit({
    actor: scope.principal.objectId,
    action: "streamingLocator.listContentKeys",
    outcome: "success",
    subscriptionId: account.subscriptionId,
    accountId: account.id,
    detail: { name },
  });
  return { keys: StoredContentKeys.parse(locator.contentKeys), values };
}

/** listPaths: where players find the asset's streams (and downloads) through this locator. */
export async function listPathsFor(scope: MediaScope, name: string) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "streamingLocators/listPaths/action",
    policy: "media.read",
  });
  const locator = await findLocator(account.id, name);
  const policy = streamingPolicies[locator.streamingPolicyName as StreamingPolicyName];
  const files = await store.assetFiles({ accountId: account.id, assetName: locator.assetName });
  // Each .ism is named after an encoded output's manifest ({inputBase}_manifest.json), which the origin serves.
  const manifests = manifestFilesOf(files);
  const paths = manifests.map(
    (m) => `/${locator.streamingLocatorId}/${m.slice(0, -"_manifest.json".length)}.ism/manifest`,
  );
  const scheme = policy.keys.length ? "EnvelopeEncryption" : "NoEncryption";
  const encryption = policy.keys.length ? ",encryption=cbc" : "";
  return {
    // HLS only: the streaming endpoints serve no DASH (lib/media/streaming-origin.ts); nothing until an encoding wrote a manifest.
    streamingPaths:
      policy.streaming && paths.length
        ? [
            {
              streamingProtocol: "Hls",
              encryptionScheme: scheme,
              paths: paths.map((p) => `${p}(format=m3u8-cmaf${encryption})`),
            },
          ]
        : [],
    // The files, not the manifests the origin streams from (as Azure lists no .ism).
    downloadPaths: policy.download
      ? files.filter((f) => !manifests.includes(f.name)).map((f) => `/${locator.streamingLocatorId}/${f.name}`)
      : [],
  };
}

/** Creates a locator: generated or supplied content keys, sealed under the account key. Locators cannot change once created. */
export async function putStreamingLocatorFor(
  scope: MediaScope,
  name: string,
  p: StreamingLocatorInput,
): Promise<PutResult<store.LocatorRow>> {
  const account = await access(scope, name, writeRequest);
  if (await store.streamingLocatorExists({ accountId: account.id, name })) {
    throw new DomainError(
      "Conflict",
      `The streaming locator '${name}' exists: a locator cannot change once created. Delete it and create it again.`,
    );
  }
  const assetName = await store.assetNameOf({ accountId: account.id, name: p.assetName });
  if (assetName === null)
    throw new DomainError(
      "InvalidRequestContent",
      `The asset '${p.assetName}' was not found in this account.`,
      "assetName",
    );
  const policy = streamingPolicies[p.streamingPolicyName];
  // The locator stores the asset's and the content key policy's display names, as key delivery joins on them.
  const keyPolicyName = p.defaultContentKeyPolicyName
    ? await store.contentKeyPolicyNameOf({ accountId: account.id, name: p.defaultContentKeyPolicyName })
    : null;
  if (p.defaultContentKeyPolicyName && keyPolicyName === null) {
    throw new DomainError(
      "InvalidRequestContent",
      `The content key policy '${p.defaultContentKeyPolicyName}' was not found in this account.`,
      "defaultContentKeyPolicyName",
    );
  }
  if (policy.keys.length && !p.defaultContentKeyPolicyName) {
    throw new DomainError(
      "InvalidRequestContent",
      `${p.streamingPolicyName} encrypts: name the content key policy that says who may receive the key (defaultContentKeyPolicyName).`,
      "defaultContentKeyPolicyName",
    );
  }
  if (p.startTime && p.endTime && new Date(p.endTime) <= new Date(p.startTime))
    throw new DomainError("InvalidRequestContent", "endTime must be after startTime.", "endTime");
  const supplied = p.contentKeys ?? [];
  if (supplied.length > policy.keys.length)
    throw new DomainError(
      "InvalidRequestContent",
      `${p.streamingPolicyName} uses ${policy.keys.length} content key(s); ${supplied.length} were given.`,
      "contentKeys",
    );
  const keys = policy.keys.map((slot, i) => {
    const given = supplied.find((k) => k.labelReferenceInStreamingPolicy === slot.label) ?? supplied[i];
    if (given?.labelReferenceInStreamingPolicy && given.labelReferenceInStreamingPolicy !== slot.label) {
      throw new DomainError(
        "InvalidRequestContent",
        `${p.streamingPolicyName} has no content key labelled '${given.labelReferenceInStreamingPolicy}'; its label is '${slot.label}'.`,
        "contentKeys",
      );
    }
    const stored: StoredContentKey = {
      id: (given?.id ?? randomUUID()).toLowerCase(),
      type: slot.type,
      labelReferenceInStreamingPolicy: slot.label,
      policyName: keyPolicyName,
    };
    return { stored, value: given?.value ? Buffer.from(given.value, "base64") : randomBytes(16) };
  });
  // The content keys belong to a server-generated id: a client-chosen streamingLocatorId is only unique within the account.
  const id = randomUUID();
  const sealed = sealSecrets(
    account.id,
    await accountKey(account),
    keys.map((k) => ({ kind: "contentKey" as const, ownerId: id, name: k.stored.id, value: k.value })),
  );
  try {
    const locator = await db().$transaction(async (tx) => {
      const row = await store.insertStreamingLocator(
        {
          id,
          accountId: account.id,
          streamingLocatorId: p.streamingLocatorId ?? randomUUID(),
          name,
          assetName,
          streamingPolicyName: p.streamingPolicyName,
          defaultContentKeyPolicyName: keyPolicyName,
          startTime: p.startTime ? new Date(p.startTime) : null,
          endTime: p.endTime ? new Date(p.endTime) : null,
          alternativeMediaId: p.alternativeMediaId ?? null,
          filters: p.filters,
          contentKeys: keys.map((k) => k.stored),
          actor: modifiedBy(scope.principal),
        },
        tx,
      );
      await insertSecrets(tx, sealed);
      await audit(
        {
          actor: scope.principal.objectId,
          action: "streamingLocator.write",
          outcome: "success",
          subscriptionId: account.subscriptionId,
          accountId: account.id,
          detail: { name, asset: p.assetName, contentKeys: keys.length, supplied: supplied.length },
        },
        tx,
      );
      return row;
    });
    return { account, row: locator, created: true };
  } catch (err) {
    if (isUniqueViolation(err))
      throw new DomainError(
        "Conflict",
        `The streaming locator '${name}' was created meanwhile, or its streaming locator id or one of its content key ids is already in use in this account: use new ones.`,
      );
    throw err;
  }
}

export async function deleteStreamingLocatorFor(scope: MediaScope, name: string): Promise<boolean> {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "streamingLocators/delete",
    policy: "media.write",
  });
  return db().$transaction(async (tx) => {
    if (!(await store.deleteStreamingLocator({ accountId: account.id, name }, tx))) return false;
    await audit(
      {
        actor: scope.principal.objectId,
        action: "streamingLocator.delete",
        outcome: "success",
        subscriptionId: account.subscriptionId,
        accountId: account.id,
        detail: { name },
      },
      tx,
    );
    return true;
  });
}
