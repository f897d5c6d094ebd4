import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { putOnce } from "@/lib/accounts/names";
import { settingsOf } from "@/lib/accounts/settings";
import { modifiedBy } from "@/lib/accounts/system-data";
import type { AccountRecord } from "@/lib/accounts/store";
import { audit } from "@/lib/audit";
import { db } from "@/lib/db/client";
import { DomainError, parseOrInvalid } from "@/lib/errors";
import { mediaAccountFor, resourceNotFound } from "./access";
import { resourceJson, type MediaScope } from "./resource";
import * as store from "./store";

const AssetBody = z.object({
  properties: z
    .object({
      alternateId: z.string().max(1024).optional(),
      description: z.string().max(1024).optional(),
      container: z
        .string()
        .regex(
          /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/,
          "A container name is 3 to 63 lower-case letters, digits and single hyphens.",
        )
        .optional(),
      storageAccountName: z.string().optional(),
    })
    .default({}),
});

/**
 * The storage account an account's assets are kept in, by name as ARM's storageAccountName gives
 * it: the account's Primary, or "local" for an account that links none (its content is then on
 * this service's own disk).
 */
function assetStorageOf(account: AccountRecord): string {
  const primary = settingsOf(account).storageAccounts.find((s) => s.type === "Primary");
  return primary ? primary.id.split("/").at(-1)! : "local";
}

/** An asset names the storage account it is kept in; only the account's primary one is offered, so another is refused rather than ignored. */
function checkStorageAccountName(account: AccountRecord, requested: string | undefined): void {
  const storage = assetStorageOf(account);
  if (requested === undefined || requested.toLowerCase() === storage.toLowerCase()) return;
  throw new DomainError(
    "InvalidRequestContent",
    `body.properties.storageAccountName: assets are kept in the account's primary storage account ('${storage}'); '${requested}' is not it (secondary storage accounts do not hold assets here). Leave it out, or give '${storage}'.`,
    "body.properties.storageAccountName",
  );
}

function assetJson(account: AccountRecord, a: store.AssetRow) {
  return resourceJson(
    account,
    "assets",
    a.name,
    {
      assetId: a.id,
      created: a.createdAt.toISOString(),
      lastModified: a.updatedAt.toISOString(),
      ...(a.alternateId ? { alternateId: a.alternateId } : {}),
      ...(a.description ? { description: a.description } : {}),
      container: a.container,
      storageAccountName: assetStorageOf(account),
      storageEncryptionFormat: "None",
      // Not in Azure's model (its content lives in Blob storage): what jobs wrote, for checking.
      files: a.files.map((f) => ({ name: f.name, size: Number(f.size), sha256: f.sha256 })),
    },
    a,
  );
}

const read = (scope: MediaScope, name: string) =>
  mediaAccountFor(
    scope.principal,
    { ...scope.ref, path: `assets/${name}` },
    { action: "read", armOperation: "assets/read", policy: "media.read" },
  );
const write = (scope: MediaScope, name: string, verb: "write" | "delete") =>
  mediaAccountFor(
    scope.principal,
    { ...scope.ref, path: `assets/${name}` },
    { action: "write", armOperation: `assets/${verb}`, policy: "media.write" },
  );

export async function listAssetsFor(scope: MediaScope, page?: RowPage) {
  const account = await read(scope, "");
  const rows = await store.listAssets({ accountId: account.id, page });
  return rows.map((a) => assetJson(account, a));
}

export async function getAssetFor(scope: MediaScope, name: string) {
  const account = await read(scope, name);
  const asset = await store.findAsset({ accountId: account.id, name });
  if (!asset) throw resourceNotFound("asset", name);
  return assetJson(account, asset);
}

export async function putAssetFor(scope: MediaScope, name: string, body: unknown) {
  const account = await write(scope, name, "write");
  const { properties } = parseOrInvalid(AssetBody, body, "body");
  checkStorageAccountName(account, properties.storageAccountName);
  const id = randomUUID();
  const fields = {
    alternateId: properties.alternateId ?? null,
    description: properties.description ?? null,
    ...(properties.container ? { container: properties.container } : {}),
  };
  return putOnce(async () => {
    const { row: asset, created } = await store.putAsset({
      accountId: account.id,
      name,
      id,
      fields,
      actor: modifiedBy(scope.principal),
    });
    await audit({
      actor: scope.principal.objectId,
      action: "asset.write",
      outcome: "success",
      subscriptionId: account.subscriptionId,
      accountId: account.id,
      detail: { name: asset.name },
    });
    return { json: assetJson(account, asset), created };
  });
}

/** Deletes the asset, and its streaming locators with their content keys, as Azure does. */
export async function deleteAssetFor(scope: MediaScope, name: string): Promise<boolean> {
  const account = await write(scope, name, "delete");
  return db().$transaction(async (tx) => {
    const deleted = await store.deleteAsset({ accountId: account.id, name }, tx);
    if (!deleted) return false;
    await audit(
      {
        actor: scope.principal.objectId,
        action: "asset.delete",
        outcome: "success",
        subscriptionId: account.subscriptionId,
        accountId: account.id,
        detail: { name, streamingLocators: deleted.streamingLocators },
      },
      tx,
    );
    return true;
  });
}

/** ARM's PATCH of an asset: the properties it gives over the asset's own (one it leaves out is kept, not cleared). */
export async function patchAssetFor(scope: MediaScope, name: string, body: unknown) {
  const { properties } = parseOrInvalid(AssetBody, body, "body");
  const existing = (await getAssetFor(scope, name)).properties as { alternateId?: string; description?: string };
  const merged = {
    ...(existing.alternateId !== undefined ? { alternateId: existing.alternateId } : {}),
    ...(existing.description !== undefined ? { description: existing.description } : {}),
    ...properties,
  };
  return (await putAssetFor(scope, name, { properties: merged })).json;
}
