/**
 * What Azure names in Key Vault's Event Grid events, shared by the webhook and the emulator's
 * Event Grid (constants only: no server-only guard, the emulator reads it).
 */

/** The Key Vault events that make the service look at a key at once. */
export const keyVaultEventTypes = [
  "Microsoft.KeyVault.KeyNewVersionCreated",
  "Microsoft.KeyVault.KeyNearExpiry",
  "Microsoft.KeyVault.KeyExpired",
  "Microsoft.KeyVault.VaultAccessPolicyChanged",
] as const;
export type KeyVaultEventType = (typeof keyVaultEventTypes)[number];

/** Microsoft.EventGrid's first-party app id: the client of every token Event Grid's AAD delivery sends. */
export const eventGridAppId = "4962773b-9cdb-44cf-a8bf-237846a00ab7";
