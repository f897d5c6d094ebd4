import "server-only";
import type { TokenCredential } from "@azure/core-auth";
import { ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import type { LRUCache } from "lru-cache";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { httpsRequest } from "./https-request";
import { boundedCache } from "@/lib/observability/bounded-cache";
import { azureAgent } from "./transport";

/**
 * Credentials (and the tokens each caches) of the most recently used identities, IDENTITY_CACHE_ENTRIES
 * of them: one per account identity would grow with the accounts.
 */
let credentials: LRUCache<string, TokenCredential> | undefined;

/** A managed identity's credential (IDENTITY_ENDPOINT), created lazily, once per identity. */
export function managedIdentityCredential(identityClientId: string): TokenCredential {
  credentials ??= boundedCache("managed-identity-credentials", getConfig().identityCacheEntries);
  let credential = credentials.get(identityClientId);
  if (!credential)
    credentials.set(identityClientId, (credential = new ManagedIdentityCredential({ clientId: identityClientId })));
  return credential;
}

export interface IssuedIdentity {
  principalId: string;
  clientId: string;
  tenantId: string;
}

/**
 * A system-assigned identity for a resource of this service, as Azure's managed identity
 * provider issues one to a resource provider. Locally the emulator plays that provider and trusts
 * the portal's app registration as the Microsoft.Media provider. A self-hosted deployment in
 * Azure cannot issue these: accounts there use user-assigned identities.
 */
export async function issueSystemAssignedIdentity(resourceId: string): Promise<IssuedIdentity> {
  const config = getConfig();
  if (!config.emulator) {
    throw new DomainError(
      "IdentityNotConfigured",
      "This deployment cannot issue system-assigned identities: give the account a user-assigned identity attached to the service.",
    );
  }
  const credential = new ClientSecretCredential(config.auth.tenantId, config.auth.clientId, config.auth.clientSecret, {
    authorityHost: config.endpoints.authorityHost,
    disableInstanceDiscovery: true,
    agent: azureAgent(),
  });
  const token = (await credential.getToken(`${config.endpoints.armEndpoint}/.default`)).token;
  const url = `${config.endpoints.armEndpoint}${resourceId}/providers/Microsoft.ManagedIdentity/identities/default?api-version=2023-01-31`;
  const res = await httpsRequest(url, {
    method: "PUT",
    agent: azureAgent(),
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  if (res.status !== 200) throw new Error(`identity provider: HTTP ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { properties: IssuedIdentity }).properties;
}
