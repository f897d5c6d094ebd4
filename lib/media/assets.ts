import "server-only";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { nameKey, putOnce } from "@/lib/accounts/names";
import type { AccountRef } from "@/lib/accounts/store";
import { audit } from "@/lib/audit";
import { db } from "@/lib/db/client";
import { parseOrInvalid } from "@/lib/errors";
import { mediaAccountFor, resourceNotFound } from "./access";
import { byName, resourceJson, type MediaScope } from "./resource";
import { deleteSecretsOf } from "./secrets";

const AssetBody = z.object({
  properties: z
    .object({
      alternateId: z.string().max(1024).optional(),
      description: z.string().max(1024).optional(),
      container: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "A container name is 3 to 63 lower-case letters, digits and single hyphens.").optional(),
      storageAccountName: z.string().optional(),
    })
    .default({}),
});

const select = { id: true, name: true, alternateId: true, description: true, container: true, createdAt: true, updatedAt: true, files: { select: { name: true, size: true, sha256: true }, orderBy: { name: "asc" as const } } };
type AssetRow = { id: string; name: string; alternateId: string | null; description: string | null; container: string; createdAt: Date; updatedAt: Date; files: { name: string; size: bigint; sha256: string }[] };

function assetJson(account: AccountRef, a: AssetRow) {
  return resourceJson(account, "assets", a.name, {
    assetId: a.id,
    created: a.createdAt.toISOString(),
    lastModified: a.updatedAt.toISOString(),
    ...(a.alternateId ? { alternateId: a.alternateId } : {}),
    ...(a.description ? { description: a.description } : {}),
    container: a.container,
    storageAccountName: "local",
    storageEncryptionFormat: "None",
    // Not in Azure's model (its content lives in Blob storage): what jobs wrote, for checking.
    files: a.files.map((f) => ({ name: f.name, size: Number(f.size), sha256: f.sha256 })),
  }, a);
}

const read = (scope: MediaScope, name: string) => mediaAccountFor(scope.principal, { ...scope.ref, path: `assets/${name}` }, { action: "read", armOperation: "assets/read", policy: "media.read" });
const write = (scope: MediaScope, name: string, verb: "write" | "delete") => mediaAccountFor(scope.principal, { ...scope.ref, path: `assets/${name}` }, { action: "write", armOperation: `assets/${verb}`, policy: "media.write" });

export async function listAssetsFor(scope: MediaScope) {
  const account = await read(scope, "");
  const rows = await db().asset.findMany({ where: { accountId: account.id }, select, orderBy: { name: "asc" } });
  return rows.map((a) => assetJson(account, a));
}

export async function getAssetFor(scope: MediaScope, name: string) {
  const account = await read(scope, name);
  const asset = await db().asset.findUnique({ where: byName(account.id, name), select });
  if (!asset) throw resourceNotFound("asset", name);
  return assetJson(account, asset);
}

export async function putAssetFor(scope: MediaScope, name: string, body: unknown) {
  const account = await write(scope, name, "write");
  const { properties } = parseOrInvalid(AssetBody, body, "body");
  const id = randomUUID();
  const fields = { alternateId: properties.alternateId ?? null, description: properties.description ?? null, ...(properties.container ? { container: properties.container } : {}) };
  return putOnce(async () => {
    const existing = await db().asset.findUnique({ where: byName(account.id, name), select: { id: true } });
    const asset = existing
      ? await db().asset.update({ where: { id: existing.id }, data: fields, select })
      : await db().asset.create({ data: { id, accountId: account.id, name, nameKey: nameKey(name), container: `asset-${id}`, ...fields }, select });
    await audit({ actor: scope.principal.objectId, action: "asset.write", outcome: "success", subscriptionId: account.subscriptionId, accountId: account.id, detail: { name: asset.name } });
    return { json: assetJson(account, asset), created: !existing };
  });
}

/** Deletes the asset, and its streaming locators with their content keys, as Azure does. */
export async function deleteAssetFor(scope: MediaScope, name: string): Promise<boolean> {
  const account = await write(scope, name, "delete");
  return db().$transaction(async (tx) => {
    const asset = await tx.asset.findUnique({ where: byName(account.id, name), select: { id: true, name: true } });
    if (!asset) return false;
    const locators = await tx.streamingLocator.findMany({ where: { accountId: account.id, assetName: asset.name }, select: { id: true } });
    await deleteSecretsOf(tx, account.id, locators.map((l) => l.id));
    await tx.streamingLocator.deleteMany({ where: { id: { in: locators.map((l) => l.id) } } });
    await tx.asset.delete({ where: { id: asset.id } });
    await audit({ actor: scope.principal.objectId, action: "asset.delete", outcome: "success", subscriptionId: account.subscriptionId, accountId: account.id, detail: { name, streamingLocators: locators.length } }, tx);
    return true;
  });
}
