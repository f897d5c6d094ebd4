import "server-only";
import { KeyClient } from "@azure/keyvault-keys";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { tokenCredential } from "./arm-vaults";
import { azureAgent } from "./transport";

export interface KeyChoice {
  name: string;
  kty: string;
  size?: number;
  curve?: string;
  enabled: boolean;
  versions: { version: string; enabled: boolean; created?: Date }[];
}

/** The keys of a vault as the signed-in user sees them (their own Key Vault token), for the key picker. */
export async function keysVisibleTo(keyVaultToken: string, vaultUri: string): Promise<KeyChoice[]> {
  // The URI came from ARM; it must still be a vault host this service may call.
  const { vaultUrl } = keyIdentifierOf(`${vaultUri.replace(/\/$/, "")}/keys/probe`);
  const client = new KeyClient(vaultUrl, tokenCredential(keyVaultToken), { agent: azureAgent(), retryOptions: { maxRetries: 1 } });
  const keys: KeyChoice[] = [];
  for await (const item of client.listPropertiesOfKeys()) {
    const key = await client.getKey(item.name);
    const versions = [];
    for await (const v of client.listPropertiesOfKeyVersions(item.name)) versions.push({ version: v.version!, enabled: v.enabled !== false, created: v.createdOn });
    versions.sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
    const n = key.key?.n;
    keys.push({ name: item.name, kty: key.keyType ?? "?", size: n ? (n[0] === 0 ? n.length - 1 : n.length) * 8 : undefined, curve: key.key?.crv, enabled: key.properties.enabled !== false, versions });
  }
  return keys.sort((a, b) => a.name.localeCompare(b.name));
}
