/** Test-data setup through the emulator's management plane, as the demo automation app (Owner). */
import type { APIRequestContext } from "@playwright/test";
import { demoAutomationApp, demoSubscriptions, demoVaults } from "../lib/demo/directory";
import { e2eStack } from "./stack";
import { clientCredentialsToken } from "./tokens";

/** Gives a principal get/wrapKey/unwrapKey on each named vault, as the vault's owner would in Azure. */
export async function grantKeyAccess(request: APIRequestContext, principalId: string, vaults: string[], tenantId: string) {
  const token = await clientCredentialsToken(request, demoAutomationApp);
  for (const vault of vaults) {
    const res = await request.put(
      `${e2eStack.emulatorUrl}/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}/accessPolicies/add?api-version=2023-01-31`,
      { headers: { authorization: `Bearer ${token}` }, data: { properties: { accessPolicies: [{ tenantId, objectId: principalId, permissions: { keys: ["get", "wrapKey", "unwrapKey"] } }] } }, ignoreHTTPSErrors: true },
    );
    if (!res.ok()) throw new Error(`access policy on ${vault}: HTTP ${res.status()}`);
  }
}
