import "server-only";
import { randomUUID } from "node:crypto";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { permissionsAt, permits } from "./arm-permissions";
import { armGet, tokenCredential, type VaultSummary } from "./arm-vaults";
import { httpsRequest } from "./https-request";
import { azureAgent } from "./transport";

/** What an account's identity needs on its customer key, and no more. */
export const keyPermissionsNeeded = ["get", "wrapKey", "unwrapKey"] as const;

/** The built-in role with exactly those data actions (its id is the same in every Azure cloud). */
export const encryptionUserRole = {
  name: "Key Vault Crypto Service Encryption User",
  id: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
};

/** Built-in roles whose data actions include reading, wrapping and unwrapping keys. */
const rolesThatUseKeys = new Set([
  encryptionUserRole.id,
  "00482a5a-887f-4fb3-b363-3b7fe8e74483", // Key Vault Administrator
  "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", // Key Vault Crypto Officer
  "12338af0-0e69-4776-bea7-57ae8d297424", // Key Vault Crypto User
]);

/** Whether an identity may use a vault's keys, and whether the signed-in user may change that. */
export interface KeyAccess {
  model: "accessPolicy" | "rbac";
  /** Access-policy vaults: the permissions of `keyPermissionsNeeded` the identity lacks on the vault's keys. */
  missing: string[];
  /** RBAC vaults: "all" when a role on the vault (or above) covers every key, else the keys with a role of their own; null when ARM would not list the assignments. */
  keys: "all" | string[] | null;
  /** Whether ARM says the signed-in user may grant it (write access policies, or role assignments). */
  canGrant: boolean;
}

const grantAction = (vault: VaultSummary) =>
  vault.enableRbacAuthorization
    ? "Microsoft.Authorization/roleAssignments/write"
    : "Microsoft.KeyVault/vaults/accessPolicies/write";

const sameScope = (a: string, b: string) => a.toLowerCase().replace(/\/$/, "") === b.toLowerCase().replace(/\/$/, "");

/** The identity's access to the vault's keys, as the signed-in user can read it from ARM. */
export async function keyAccessOf(vault: VaultSummary, principalId: string, armToken: string): Promise<KeyAccess> {
  const canGrant = permits((await permissionsAt(vault.id, armToken)) ?? [], grantAction(vault));
  if (!vault.enableRbacAuthorization) {
    const granted = new Set(
      vault.accessPolicies
        .filter((p) => p.objectId.toLowerCase() === principalId.toLowerCase())
        .flatMap((p) => p.keys.map((k) => k.toLowerCase())),
    );
    const missing = granted.has("all") ? [] : keyPermissionsNeeded.filter((p) => !granted.has(p.toLowerCase()));
    return { model: "accessPolicy", missing, keys: null, canGrant };
  }
  const filter = encodeURIComponent(`principalId eq '${principalId}'`);
  const { body } = await armGet<{ value: { properties: { scope: string; roleDefinitionId: string } }[] }>(
    `${vault.id}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=${filter}`,
    armToken,
  );
  if (!body) return { model: "rbac", missing: [], keys: null, canGrant };
  const useful = body.value
    .map((a) => a.properties)
    .filter((a) => rolesThatUseKeys.has(a.roleDefinitionId.split("/").pop()!.toLowerCase()));
  const keyScope = new RegExp(`^${vault.id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/keys/([^/]+)$`, "i");
  // Listed at the vault, an assignment either covers the vault (at it or above) or sits below it.
  const wholeVault = useful.some((a) => !keyScope.test(a.scope) && !sameScope(a.scope, `${vault.id}/keys`));
  return {
    model: "rbac",
    missing: [],
    keys: wholeVault ? "all" : useful.flatMap((a) => keyScope.exec(a.scope)?.[1] ?? []),
    canGrant,
  };
}

/** Whether the identity may use `keyName` (any key of an access-policy vault); null when it cannot be told. */
export function mayUseKey(access: KeyAccess, keyName: string): boolean | null {
  if (access.model === "accessPolicy") return access.missing.length === 0;
  if (access.keys === null) return null;
  return access.keys === "all" || access.keys.some((k) => k.toLowerCase() === keyName.toLowerCase());
}

const shellQuote = (s: string) => (/^[\w./:@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The Azure CLI command that grants it, for a user who may not, to send to someone who may. */
export function grantCommand(vault: VaultSummary, principalId: string, keyName: string): string {
  if (!vault.enableRbacAuthorization)
    return [
      "az keyvault set-policy",
      `--subscription ${vault.subscriptionId}`,
      `--resource-group ${shellQuote(vault.resourceGroup)}`,
      `--name ${vault.name}`,
      `--object-id ${principalId}`,
      `--key-permissions ${keyPermissionsNeeded.join(" ")}`,
    ].join(" ");
  return [
    "az role assignment create",
    `--role ${shellQuote(encryptionUserRole.name)}`,
    `--assignee-object-id ${principalId}`,
    "--assignee-principal-type ServicePrincipal",
    `--scope ${shellQuote(`${vault.id}/keys/${keyName}`)}`,
  ].join(" ");
}

/**
 * Grants the identity use of the key as the signed-in user (ARM authorizes the user): an access
 * policy with exactly get, wrapKey and unwrapKey on an access-policy vault, or the role "Key Vault
 * Crypto Service Encryption User" on the key itself (not the whole vault) on an RBAC vault.
 */
export async function grantKeyUse(
  vault: VaultSummary,
  principalId: string,
  keyName: string,
  armToken: string,
): Promise<void> {
  const refused = (status: number) =>
    new DomainError(
      status === 403 ? "AuthorizationFailed" : "InvalidRequestContent",
      status === 403
        ? `You may not grant access on ${vault.name}. Send this command to someone who may: ${grantCommand(vault, principalId, keyName)}`
        : `Azure Resource Manager refused the grant on ${vault.name} (HTTP ${status}).`,
    );
  const { armEndpoint } = getConfig().endpoints;
  if (!vault.enableRbacAuthorization) {
    const client = new KeyVaultManagementClient(tokenCredential(armToken), vault.subscriptionId, {
      endpoint: armEndpoint,
      agent: azureAgent(),
    });
    await client.vaults
      .updateAccessPolicy(vault.resourceGroup, vault.name, "add", {
        properties: {
          accessPolicies: [
            { tenantId: vault.tenantId, objectId: principalId, permissions: { keys: [...keyPermissionsNeeded] } },
          ],
        },
      })
      .catch((err: { statusCode?: number }) => {
        throw refused(err.statusCode ?? 0);
      });
    return;
  }
  const scope = `${vault.id}/keys/${encodeURIComponent(keyName)}`;
  const res = await httpsRequest(
    `${armEndpoint}${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}?api-version=2022-04-01`,
    {
      method: "PUT",
      agent: azureAgent(),
      headers: { authorization: `Bearer ${armToken}`, "content-type": "application/json" },
      body: JSON.stringify({
        properties: {
          roleDefinitionId: `/subscriptions/${vault.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${encryptionUserRole.id}`,
          principalId,
          principalType: "ServicePrincipal",
        },
      }),
      timeoutMs: 10_000,
    },
  );
  // 409 RoleAssignmentExists: the identity already holds it, which is what was asked.
  if (res.status >= 300 && res.status !== 409) throw refused(res.status);
}
