import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { randomUUID } from "node:crypto";
import { putOnce } from "@/lib/accounts/names";
import { settingsOf } from "@/lib/accounts/settings";
import { modifiedBy } from "@/lib/accounts/system-data";
import type { AccountRecord } from "@/lib/accounts/store";
import { audit } from "@/lib/audit";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { resolveMediaAccount, resourceNotFound, scopedAccountFor } from "./access";
import type { MediaList, MediaRecord, MediaScope, PutResult } from "./resource";
import * as store from "./store";

/** An asset's settings, as a PUT gives them (a PATCH gives some of them). */
export interface AssetInput {
  alternateId?: string;
  description?: string;
  /** The name of its container; left out, a new asset gets one. */
  container?: string;
  /** The storage account it is kept in: only the account's primary one. */
  storageAccountName?: string;
}

/**
 * The storage account an account's assets are kept in, by name as ARM's storageAccountName gives
 * it: the account's Primary, or "local" for an account that links none (its content is then on
 * this service's own disk).
 */
export function assetStorageOf(account: AccountRecord): string {
  const primary = settingsOf(account).storageAccounts.find((s) => s.type === "Primary");
  return primary ? primary.id.split("/").at(-1)! : "local";
}

/** An asset names the storage account it is kept in; only the account's primary one is offered, so another is refused rather than ignored. */
function checkStorageAccountName(account: AccountRecord, requested: string | undefined): void {
  const storage = assetStorageOf(account);
  if (requested === undefined || requested.toLowerCase() === storage.toLowerCase()) return;
  throw new DomainError(
    "InvalidRequestContent",
    `storageAccountName: assets are kept in the account's primary storage account ('${storage}'); '${requested}' is not it (secondary storage accounts do not hold assets here). Leave it out, or give '${storage}'.`,
    "storageAccountName",
  );
}

const read = (scope: MediaScope, name: string) =>
  scopedAccountFor(scope, `assets/${name}`, { action: "read", armOperation: "assets/read", policy: "media.read" });
const writeRequest = (verb: "write" | "delete") =>
  ({ action: "write", armOperation: `assets/${verb}`, policy: "media.write" }) as const;
const write = (scope: MediaScope, name: string, verb: "write" | "delete") =>
  scopedAccountFor(scope, `assets/${name}`, writeRequest(verb));

/** The scope with its account authorized and read for writing the asset: putAssetFor reuses it. */
export const resolveAssetWrite = (scope: MediaScope, name: string) =>
  resolveMediaAccount(scope, `assets/${name}`, writeRequest("write"));

export async function listAssetsFor(scope: MediaScope, page?: RowPage): Promise<MediaList<store.AssetRow>> {
  const account = await read(scope, "");
  return { account, rows: await store.listAssets({ accountId: account.id, page }) };
}

export async function getAssetFor(scope: MediaScope, name: string): Promise<MediaRecord<store.AssetRow>> {
  const account = await read(scope, name);
  const asset = await store.findAsset({ accountId: account.id, name });
  if (!asset) throw resourceNotFound("asset", name);
  return { account, row: asset };
}

export async function putAssetFor(scope: MediaScope, name: string, input: AssetInput) {
  return putAsset(scope, await write(scope, name, "write"), name, input);
}

async function putAsset(
  scope: MediaScope,
  account: AccountRecord,
  name: string,
  properties: AssetInput,
): Promise<PutResult<store.AssetRow>> {
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
    return { account, row: asset, created };
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
export async function patchAssetFor(
  scope: MediaScope,
  name: string,
  properties: AssetInput,
): Promise<MediaRecord<store.AssetRow>> {
  const account = await write(scope, name, "write");
  const existing = await store.findAsset({ accountId: account.id, name });
  if (!existing) throw resourceNotFound("asset", name);
  const merged = {
    ...(existing.alternateId ? { alternateId: existing.alternateId } : {}),
    ...(existing.description ? { description: existing.description } : {}),
    ...properties,
  };
  const { row } = await putAsset(scope, account, name, merged);
  return { account, row };
}
