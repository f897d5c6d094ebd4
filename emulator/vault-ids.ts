import type { Vault } from "./state";

export const vaultResourceId = (v: Pick<Vault, "subscriptionId" | "resourceGroup" | "name">) =>
  `/subscriptions/${v.subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/vaults/${v.name}`;
