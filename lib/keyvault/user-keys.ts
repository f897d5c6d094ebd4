import "server-only";
import { tokenCredential } from "@/lib/azure/arm-vaults";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { keyVaultError } from "./errors";
import type { KeyIdentifier } from "./key-id";
import { keyInfoOf, newKeyClient, versionsOf, type KeyInfo, type KeyVersionInfo } from "./keys";

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
      const versions = (await versionsOf(client, item.name)).map(({ version, enabled, created }) => ({
        version,
        enabled,
        created,
      }));
      keys.push({ name, kty, size, curve, enabled, versions });
    }
  } catch (err) {
    throw keyVaultError(err, { operation: "list", keyId: `${vaultUrl}/keys` });
  }
  return keys.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The versions of one key (a parsed, allowed identifier) as the signed-in user sees them: the latest
 * first, as Key Vault answers a read without a version (creation times are in whole seconds, so two
 * versions may tie), then the others newest first.
 */
export async function keyVersionsVisibleTo(keyVaultToken: string, key: KeyIdentifier): Promise<KeyVersionInfo[]> {
  const client = newKeyClient(key.vaultUrl, tokenCredential(keyVaultToken));
  try {
    const [latest, versions] = await Promise.all([client.getKey(key.keyName), versionsOf(client, key.keyName)]);
    return versions.sort((a, b) => Number(b.id === latest.id) - Number(a.id === latest.id));
  } catch (err) {
    throw keyVaultError(err, { operation: "list", keyId: key.id });
  }
}
