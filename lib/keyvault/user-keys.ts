import "server-only";
import { tokenCredential } from "@/lib/azure/arm-vaults";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { keyVaultError } from "./errors";
import { keyInfoOf, newKeyClient, type KeyInfo } from "./keys";

export type KeyChoice = Pick<KeyInfo, "name" | "kty" | "size" | "curve" | "enabled"> & {
  versions: { version: string; enabled: boolean; created?: Date }[];
};

/** The keys of a vault as the signed-in user sees them (their own Key Vault token), for the key picker. */
export async function keysVisibleTo(keyVaultToken: string, vaultUri: string): Promise<KeyChoice[]> {
  // The URI came from ARM; it must still be a vault host this service may call.
  const { vaultUrl } = keyIdentifierOf(`${vaultUri.replace(/\/$/, "")}/keys/probe`);
  const client = newKeyClient(vaultUrl, tokenCredential(keyVaultToken));
  const keys: KeyChoice[] = [];
  try {
    for await (const item of client.listPropertiesOfKeys()) {
      const { name, kty, size, curve, enabled } = keyInfoOf(await client.getKey(item.name));
      const versions = [];
      for await (const v of client.listPropertiesOfKeyVersions(item.name)) versions.push({ version: v.version!, enabled: v.enabled !== false, created: v.createdOn });
      versions.sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0));
      keys.push({ name, kty, size, curve, enabled, versions });
    }
  } catch (err) {
    throw keyVaultError(err, { operation: "list", keyId: `${vaultUrl}/keys` });
  }
  return keys.sort((a, b) => a.name.localeCompare(b.name));
}
