import "server-only";
import { z } from "zod";
import type { AccountRecord } from "@/lib/accounts/store";
import type { RowPage } from "@/lib/db/row-page";
import { parseOrInvalid } from "@/lib/errors";
import {
  assetStorageOf,
  deleteAssetFor,
  getAssetFor,
  listAssetsFor,
  patchAssetFor,
  putAssetFor,
  resolveAssetWrite,
  type AssetInput,
} from "@/lib/media/assets";
import type { MediaScope } from "@/lib/media/resource";
import { resourceJson } from "./resource-json";
import type * as store from "@/lib/media/store";
import { propertiesPath, withBodyFields } from "./body-fields";
import { listAssetStreamingLocators } from "./streaming-locators";

export const AssetBody = z.object({
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

export function assetJson(account: AccountRecord, a: store.AssetRow) {
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

const bodyPath = propertiesPath("storageAccountName");
const inputOf = (body: unknown): AssetInput => parseOrInvalid(AssetBody, body, "body").properties;

/** Assets as the API reads and writes them: ARM bodies parsed into lib/media's input, its records written as ARM's JSON. */
export const assetOperations = {
  async list(scope: MediaScope, page?: RowPage) {
    const { account, rows } = await listAssetsFor(scope, page);
    return rows.map((a) => assetJson(account, a));
  },
  async get(scope: MediaScope, name: string) {
    const { account, row } = await getAssetFor(scope, name);
    return assetJson(account, row);
  },
  /** Authorized and the account read before the body is parsed (as before the body was read), once. */
  async put(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveAssetWrite(scope, name);
    const input = inputOf(body);
    const { account, row, created } = await withBodyFields(bodyPath, () => putAssetFor(resolved, name, input));
    return { json: assetJson(account, row), created };
  },
  async patch(scope: MediaScope, name: string, body: unknown) {
    const input = inputOf(body);
    const { account, row } = await withBodyFields(bodyPath, () => patchAssetFor(scope, name, input));
    return assetJson(account, row);
  },
  remove: deleteAssetFor,
  actions: { listStreamingLocators: listAssetStreamingLocators },
};
