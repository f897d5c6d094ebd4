import "server-only";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import type { VaultLookup } from "@/lib/keys/binding";
import { httpsRequest } from "./https-request";
import { managedIdentityCredential } from "./managed-identities";
import { azureAgent } from "./transport";

export interface VaultSummary {
  /** The vault's ARM resource id. */
  id: string;
  name: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  vaultUri: string;
  enableSoftDelete: boolean;
  enablePurgeProtection: boolean;
  /** Data-plane authorization by Azure RBAC role assignments instead of the access policies. */
  enableRbacAuthorization: boolean;
  /** Key permissions per object id (access-policy vaults). */
  accessPolicies: { objectId: string; keys: string[] }[];
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
          id: v.id!,
          name: v.name!,
          tenantId: v.properties.tenantId,
          subscriptionId,
          resourceGroup: v.id!.split("/")[4]!,
          location: v.location!,
          vaultUri: v.properties.vaultUri!,
          enableSoftDelete: v.properties.enableSoftDelete !== false,
          enablePurgeProtection: v.properties.enablePurgeProtection === true,
          enableRbacAuthorization: v.properties.enableRbacAuthorization === true,
          accessPolicies: (v.properties.accessPolicies ?? []).map((p) => ({
            objectId: p.objectId,
            keys: p.permissions.keys ?? [],
          })),
        });
      }
      return vaults;
    }),
  );
  return lists.flat().sort((a, b) => a.name.localeCompare(b.name));
}

const factsOf = (vaults: VaultSummary[], vaultName: string) => {
  const vault = vaults.find((v) => v.name.toLowerCase() === vaultName.toLowerCase());
  return vault
    ? {
        location: vault.location,
        enableSoftDelete: vault.enableSoftDelete,
        enablePurgeProtection: vault.enablePurgeProtection,
      }
    : null;
};

/** Looks a vault up by name among those the token's principal sees; null when it sees none of that name. */
export function vaultLookupAs(armToken: string | null): VaultLookup {
  return async (vaultName) => (armToken ? factsOf(await vaultsVisibleTo(armToken), vaultName) : null);
}

/**
 * For a caller with no user to act for (a daemon, client credentials): the vault as the identity
 * that will read the key sees it, with that identity's own ARM token. It needs Reader on the
 * vault (a key's access policy says nothing of the vault's properties); without it, the refusal
 * says what to grant.
 */
export function vaultLookupAsKeyIdentity(): VaultLookup {
  return async (vaultName, identityClientId) => {
    const issued = await managedIdentityCredential(identityClientId).getToken(
      `${getConfig().endpoints.armEndpoint}/.default`,
    );
    if (!issued) throw new Error(`managed identity ${identityClientId}: no ARM token`);
    const facts = factsOf(await vaultsVisibleTo(issued.token), vaultName);
    if (facts) return facts;
    throw new DomainError(
      "VaultNotVisible",
      `The vault '${vaultName}' cannot be read for this request: an application caller (client credentials) has no user for the service to act for, and the account's identity (client id ${identityClientId}) cannot read the vault either. Grant Reader on the vault to the account's identity, or call as a user.`,
    );
  };
}
