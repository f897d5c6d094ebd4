/** Test-data setup through the emulator's management plane, as the demo automation app (Owner). */
import { readFileSync } from "node:fs";
import path from "node:path";
import { AzureMediaServices } from "@azure/arm-mediaservices";
import { ClientSecretCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import type { APIRequestContext } from "@playwright/test";
import { localAzureAgent } from "../lib/azure/local-agent";
import { demoAutomationApp, demoSubscriptions, demoVaults } from "../lib/demo/directory";
import { e2eStack } from "./stack";
import { clientCredentialsToken } from "./tokens";

/** The official Azure clients as the automation app, against the e2e emulator. */
export function automationClients() {
  const agent = localAzureAgent(readFileSync(path.join(e2eStack.dataDir, "emulator", "tls", "ca.pem"), "utf8"));
  const credential = new ClientSecretCredential(demoAutomationApp.tenantId, demoAutomationApp.clientId, demoAutomationApp.secret, { authorityHost: e2eStack.emulatorUrl, disableInstanceDiscovery: true, agent });
  return {
    media: new AzureMediaServices(credential, demoSubscriptions.contosoMedia.id, { endpoint: e2eStack.emulatorUrl, agent }),
    keys: (vault: string) => new KeyClient(`https://${vault}.vault.localhost:${e2eStack.emulatorPort}`, credential, { agent }),
  };
}

/** Gives a principal key permissions (default get/wrapKey/unwrapKey) on each named vault, as the vault's owner would in Azure. */
export async function grantKeyAccess(request: APIRequestContext, principalId: string, vaults: string[], tenantId: string, keys = ["get", "wrapKey", "unwrapKey"]) {
  const token = await clientCredentialsToken(request, demoAutomationApp);
  for (const vault of vaults) {
    const res = await request.put(
      `${e2eStack.emulatorUrl}/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}/accessPolicies/add?api-version=2023-01-31`,
      { headers: { authorization: `Bearer ${token}` }, data: { properties: { accessPolicies: [{ tenantId, objectId: principalId, permissions: { keys } }] } }, ignoreHTTPSErrors: true },
    );
    if (!res.ok()) throw new Error(`access policy on ${vault}: HTTP ${res.status()}`);
  }
}
