import "server-only";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/core-auth";
import { ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import type { LRUCache } from "lru-cache";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { httpsRequest } from "./https-request";
import { boundedCache } from "@/lib/observability/bounded-cache";
import { azureAgent } from "./transport";

/**
 * The SDK's credentials of the most recently used identities, IDENTITY_CACHE_ENTRIES of them (about
 * 26 KB of heap each): only a token fetch uses one.
 */
let credentials: LRUCache<string, TokenCredential> | undefined;

/**
 * Their tokens, per identity and scope, kept apart and many more (MANAGED_IDENTITY_TOKEN_CACHE_ENTRIES):
 * a token is a string of a few KB, so a worker keeps one for every identity it checks, and an
 * identity whose clients left the smaller cache asks for no new token until its own is about to
 * expire. Keyed by the identity: one identity's token is never handed to another.
 */
let tokens: LRUCache<string, AccessToken> | undefined;
const inFlight = new Map<string, Promise<AccessToken>>();
/** A token is fetched again this long before it expires (the SDK's clients refresh theirs 2 minutes before). */
const REFRESH_MARGIN_MS = 5 * 60_000;

const usable = (token: AccessToken) =>
  Date.now() < Math.min(token.refreshAfterTimestamp ?? Infinity, token.expiresOnTimestamp - REFRESH_MARGIN_MS);

function sdkCredential(identityClientId: string): TokenCredential {
  credentials ??= boundedCache("managed-identity-credentials", getConfig().identityCacheEntries);
  let credential = credentials.get(identityClientId);
  if (!credential)
    credentials.set(identityClientId, (credential = new ManagedIdentityCredential({ clientId: identityClientId })));
  return credential;
}

/**
 * MSAL keeps every managed-identity token of the process in one static store, finds one by testing
 * each of its keys, and rebuilds its index on each write: a cached token took 0.4 ms to find at
 * 1,000 identities and 5.4 ms at 3,000 (bench/identity-tokens.bench.ts), so a worker of 100,000
 * identities would spend its CPU there. Tokens live in `tokens` instead, and the SDK's store is
 * emptied after each fetch. Reached through the credential's own application (a private field of
 * @azure/identity, pinned with it; lib/azure/managed-identities.test.ts fails if it moves), so it
 * is the store this credential used however the SDK was bundled.
 */
export function emptySdkTokenStore(credential: TokenCredential): void {
  type Store = { clear(): void };
  const app = (credential as { managedIdentityApp?: { constructor: { nodeStorage?: Store } } }).managedIdentityApp;
  app?.constructor.nodeStorage?.clear();
}

class CachedTokenCredential implements TokenCredential {
  constructor(private readonly identityClientId: string) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    tokens ??= boundedCache("managed-identity-tokens", getConfig().managedIdentityTokenCacheEntries);
    const key = `${this.identityClientId} ${[scopes].flat().join(" ")}`;
    const cached = tokens.get(key);
    // A claims challenge (continuous access evaluation) asks for a new token, never a cached one.
    if (cached && usable(cached) && !options?.claims) return cached;
    let pending = inFlight.get(key);
    if (!pending) {
      const credential = sdkCredential(this.identityClientId);
      pending = credential
        .getToken(scopes, options)
        .then((token) => {
          emptySdkTokenStore(credential);
          if (!token) throw new Error("the managed identity endpoint returned no token");
          tokens!.set(key, token);
          return token;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  }
}

/** A managed identity's credential (IDENTITY_ENDPOINT): its tokens are cached per identity, see `tokens`. */
export function managedIdentityCredential(identityClientId: string): TokenCredential {
  return new CachedTokenCredential(identityClientId);
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
