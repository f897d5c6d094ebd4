import "server-only";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { armGet } from "./arm-vaults";
import { managedIdentityCredential } from "./managed-identities";

const storageId =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.(?:Classic)?Storage\/storageAccounts\/[a-z0-9]{3,24}$/i;

/** Whether a string is the ARM id of a storage account (Microsoft.Storage or Microsoft.ClassicStorage). */
export const isStorageAccountId = (id: string) => storageId.test(id);

/**
 * Checks that each storage account exists in Azure Resource Manager, read as the caller (its ARM
 * token), or, for a caller with no user to act for, as the account's identity: a storage account
 * that the reader cannot see is refused as missing, never linked unseen.
 */
export async function assertStorageAccountsExist(
  ids: string[],
  reader: { armToken: string | null; identityClientId: string | null },
): Promise<void> {
  if (!ids.length) return;
  let token = reader.armToken;
  if (!token && reader.identityClientId)
    token =
      (
        await managedIdentityCredential(reader.identityClientId).getToken(
          `${getConfig().endpoints.armEndpoint}/.default`,
        )
      )?.token ?? null;
  for (const [i, id] of ids.entries()) {
    const field = `properties.storageAccounts[${i}].id`;
    if (!token)
      throw new DomainError(
        "InvalidRequestContent",
        `${field}: the storage account cannot be read for this request: an application caller has no user for the service to act for, and the account has no identity to read it with. Call as a user.`,
        field,
      );
    const { status } = await armGet(`${id}?api-version=2023-01-01`, token);
    if (status !== 200)
      throw new DomainError(
        "InvalidRequestContent",
        `${field}: the storage account '${id}' was not found${status === 403 ? " (or you may not read it)" : ""}: create it, or name one that exists.`,
        field,
      );
  }
}
