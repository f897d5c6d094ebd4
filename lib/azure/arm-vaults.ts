import "server-only";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { getConfig } from "@/lib/config";
import type { VaultLookup } from "@/lib/keys/binding";
import { httpsRequest } from "./https-request";
import { azureAgent } from "./transport";

export interface VaultSummary {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  vaultUri: string;
  enableSoftDelete: boolean;
  enablePurgeProtection: boolean;
}

/** A credential that only holds a token someone already has (the caller's, delegated). */
export const tokenCredential = (token: string): TokenCredential => ({
  getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 5 * 60_000 }),
});

/** A GET on the management plane as the token's principal: the status and the parsed body. */
export async function armGet<T>(path: string, token: string): Promise<{ status: number; body: T | null }> {
  const res = await httpsRequest(`${getConfig().endpoints.armEndpoint}${path}`, {
    agent: azureAgent(),
    headers: { authorization: `Bearer ${token}` },
    timeoutMs: 10_000,
  });
  return { status: res.status, body: res.status === 200 ? (JSON.parse(res.text) as T) : null };
}

/** Every vault the token's principal may read, across the subscriptions it sees (as the Azure portal lists them). */
export async function vaultsVisibleTo(armToken: string): Promise<VaultSummary[]> {
  const { status, body } = await armGet<{ value: { subscriptionId: string }[] }>(
    "/subscriptions?api-version=2022-12-01",
    armToken,
  );
  if (!body) throw new Error(`ARM /subscriptions: HTTP ${status}`);
  const subscriptions = body.value;
  const credential = tokenCredential(armToken);
  const { armEndpoint } = getConfig().endpoints;
  const lists = await Promise.all(
    subscriptions.map(async ({ subscriptionId }) => {
      const client = new KeyVaultManagementClient(credential, subscriptionId, {
        endpoint: armEndpoint,
        agent: azureAgent(),
      });
      const vaults: VaultSummary[] = [];
      for await (const v of client.vaults.listBySubscription()) {
        vaults.push({
          name: v.name!,
          subscriptionId,
          resourceGroup: v.id!.split("/")[4]!,
          location: v.location!,
          vaultUri: v.properties.vaultUri!,
          enableSoftDelete: v.properties.enableSoftDelete !== false,
          enablePurgeProtection: v.properties.enablePurgeProtection === true,
        });
      }
      return vaults;
    }),
  );
  return lists.flat().sort((a, b) => a.name.localeCompare(b.name));
}

/** Looks a vault up by name among those the token's principal sees; null when it sees none of that name. */
export function vaultLookupAs(armToken: string | null): VaultLookup {
  return async (vaultName) => {
    if (!armToken) return null;
    const vault = (await vaultsVisibleTo(armToken)).find((v) => v.name.toLowerCase() === vaultName.toLowerCase());
    return vault
      ? {
          location: vault.location,
          enableSoftDelete: vault.enableSoftDelete,
          enablePurgeProtection: vault.enablePurgeProtection,
        }
      : null;
  };
}
