import "server-only";
import type { TokenCredential } from "@azure/core-auth";
import { CryptographyClient, KeyClient, parseKeyVaultKeyIdentifier, type KeyVaultKey } from "@azure/keyvault-keys";
import type { LRUCache } from "lru-cache";
import { managedIdentityCredential } from "@/lib/azure/managed-identities";
import { getConfig } from "@/lib/config";
import { azureAgent } from "@/lib/azure/transport";
import { boundedCache } from "@/lib/observability/bounded-cache";
import { keyVaultError } from "./errors";
import type { KeyIdentifier } from "./key-id";
import { vaultBudgetPolicy } from "./budget";

/** A Key Vault key as this service sees it (no SDK type leaves this module). */
export interface KeyInfo {
  /** The versioned id. */
  id: string;
  name: string;
  version: string;
  kty: string;
  /** RSA modulus size in bits. */
  size?: number;
  curve?: string;
  keyOps: string[];
  enabled: boolean;
  notBefore?: Date;
  expiresOn?: Date;
  recoveryLevel?: string;
  created?: Date;
}

/** One version of a key, as Key Vault lists them (without key material). */
export interface KeyVersionInfo {
  /** The versioned id. */
  id: string;
  version: string;
  enabled: boolean;
  created?: Date;
}

export const WRAP_ALGORITHM = "RSA-OAEP-256";

// Clients are created lazily, once per identity and per key or vault, and kept for the most
// recently used, IDENTITY_CACHE_ENTRIES of each (one per account identity would grow with the number of accounts).
let clients: { key: LRUCache<string, KeyClient>; crypto: LRUCache<string, CryptographyClient> } | undefined;
const cachedClients = () =>
  (clients ??= {
    key: boundedCache("keyvault-key-clients", getConfig().identityCacheEntries),
    crypto: boundedCache("keyvault-crypto-clients", getConfig().identityCacheEntries),
  });
// Bounded retries with backoff (Retry-After honored by the SDK): the caller is waiting. Every
// request, retries included, takes its vault's shared budget first (./budget.ts).
const clientOptions = () => ({
  agent: azureAgent(),
  retryOptions: { maxRetries: 2, retryDelayInMs: 250, maxRetryDelayInMs: 2000 },
  additionalPolicies: [{ policy: vaultBudgetPolicy, position: "perRetry" as const }],
});

// @azure/keyvault-common's challenge policy sends a client's first request without its body, to be
// answered 401 with the challenge, and puts the body back only if the challenge is still in progress
// when that 401 comes back. A concurrent first request can complete the challenge before it, and the
// first one then goes again without a body (Key Vault: "Invalid algorithm ''"). So each client's first
// call runs alone; the calls after it run in parallel.
const firstCalls = new WeakMap<object, Promise<unknown>>();
function afterFirstCall<T>(client: object, call: () => Promise<T>): Promise<T> {
  const first = firstCalls.get(client);
  if (first) return first.then(call);
  const result = call();
  firstCalls.set(
    client,
    result.catch(() => undefined),
  );
  return result;
}

/** A key client for the vault as the credential's principal: this module's transport, retries and (through its callers) error mapping. */
export const newKeyClient = (vaultUrl: string, credential: TokenCredential) =>
  new KeyClient(vaultUrl, credential, clientOptions());

function withKeyClient<T>(identityClientId: string, vaultUrl: string, call: (client: KeyClient) => Promise<T>) {
  const id = `${identityClientId}|${vaultUrl}`;
  const keyClients = cachedClients().key;
  let client = keyClients.get(id);
  if (!client) keyClients.set(id, (client = newKeyClient(vaultUrl, managedIdentityCredential(identityClientId))));
  return afterFirstCall(client, () => call(client));
}

/** The SDK's key in this service's words; an RSA key's size is its modulus without the sign byte. */
export function keyInfoOf(k: KeyVaultKey): KeyInfo {
  const n = k.key?.n;
  return {
    id: k.id!,
    name: k.name,
    version: k.properties.version!,
    kty: k.keyType ?? "unknown",
    size: n ? (n[0] === 0 ? n.length - 1 : n.length) * 8 : undefined,
    curve: k.key?.crv,
    keyOps: k.keyOperations ?? [],
    enabled: k.properties.enabled !== false,
    notBefore: k.properties.notBefore,
    expiresOn: k.properties.expiresOn,
    recoveryLevel: k.properties.recoveryLevel,
    created: k.properties.createdOn,
  };
}

/** A key's versions, newest first: Key Vault's `list` permission on the key, as the client's principal. Errors are the caller's to map. */
export async function versionsOf(client: KeyClient, keyName: string): Promise<KeyVersionInfo[]> {
  const versions: KeyVersionInfo[] = [];
  for await (const v of client.listPropertiesOfKeyVersions(keyName))
    versions.push({ id: v.id!, version: v.version!, enabled: v.enabled !== false, created: v.createdOn });
  return versions.sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
}

/**
 * A KeyVaultKey without key material: operations go straight to Key Vault. Given only an id, the
 * SDK first GETs the key to look for a local provider, and RSA-OAEP-256 has none, so that read
 * would only double the cost of a cold unwrap. Key Vault enforces the key's attributes itself.
 */
function remoteOnly(keyId: string): KeyVaultKey {
  const { name, vaultUrl, version } = parseKeyVaultKeyIdentifier(keyId);
  return { id: keyId, name, properties: { id: keyId, name, vaultUrl, version } };
}

function cryptoClient(identityClientId: string, keyId: string): CryptographyClient {
  const id = `${identityClientId}|${keyId}`;
  const cryptoClients = cachedClients().crypto;
  let client = cryptoClients.get(id);
  if (!client)
    cryptoClients.set(
      id,
      (client = new CryptographyClient(
        remoteOnly(keyId),
        managedIdentityCredential(identityClientId),
        clientOptions(),
      )),
    );
  return client;
}

/** Reads a key (the given version, or the latest) as the identity. */
export async function getKey(identityClientId: string, key: KeyIdentifier): Promise<KeyInfo> {
  try {
    return keyInfoOf(
      await withKeyClient(identityClientId, key.vaultUrl, (client) =>
        client.getKey(key.keyName, key.version ? { version: key.version } : undefined),
      ),
    );
  } catch (err) {
    throw keyVaultError(err, { operation: "get", keyId: key.id });
  }
}

/** Wraps with a versioned key id, in Key Vault (the private key never leaves it). */
export async function wrapKey(identityClientId: string, keyId: string, plaintext: Buffer): Promise<Buffer> {
  try {
    const client = cryptoClient(identityClientId, keyId);
    return Buffer.from((await afterFirstCall(client, () => client.wrapKey(WRAP_ALGORITHM, plaintext))).result);
  } catch (err) {
    throw keyVaultError(err, { operation: "wrapKey", keyId });
  }
}

export async function unwrapKey(identityClientId: string, keyId: string, wrapped: Buffer): Promise<Buffer> {
  try {
    const client = cryptoClient(identityClientId, keyId);
    return Buffer.from((await afterFirstCall(client, () => client.unwrapKey(WRAP_ALGORITHM, wrapped))).result);
  } catch (err) {
    throw keyVaultError(err, { operation: "unwrapKey", keyId });
  }
}
