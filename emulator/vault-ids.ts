import type { Vault } from "./state";

export const vaultResourceId = (v: Pick<Vault, "subscriptionId" | "resourceGroup" | "name">) =>
  `/subscriptions/${v.subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.KeyVault/vaults/${v.name}`;

/** Azure's built-in role definition ids (the same in every cloud) and the names the emulator authorizes by. */
export const builtInRoles: Record<string, string> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "acdd72a7-3385-48ef-bd42-f606fba81ae7": "Reader",
  "f25e0fa2-a7c8-4377-a976-54943a77a395": "Key Vault Contributor",
  "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
  "14b46e9e-c2b7-41b4-b07b-48a6ebf60603": "Key Vault Crypto Officer",
  "12338af0-0e69-4776-bea7-57ae8d297424": "Key Vault Crypto User",
  "e147488a-f6f5-4113-8e2d-b22465e65bf6": "Key Vault Crypto Service Encryption User",
  "21090545-7ca7-4776-b22c-e363652d74d2": "Key Vault Reader",
};
