/** Test-data setup through the emulator's management plane, as the demo automation app (Owner). */
import { AzureMediaServices } from "@azure/arm-mediaservices";
import { ClientSecretCredential } from "@azure/identity";
import { KeyClient } from "@azure/keyvault-keys";
import { httpsJson } from "../emulator/test-support";
import { demoAutomationApp, demoSubscriptions, demoVaults } from "../lib/demo/directory";
import { emulatorAgent, e2eStack } from "./stack";
import { clientCredentialsToken } from "./tokens";

/** The official Azure clients as the automation app, against the e2e emulator. */
export function automationClients() {
  const agent = emulatorAgent();
  const credential = new ClientSecretCredential(
    demoAutomationApp.tenantId,
    demoAutomationApp.clientId,
    demoAutomationApp.secret,
    { authorityHost: e2eStack.emulatorUrl, disableInstanceDiscovery: true, agent },
  );
  return {
    media: new AzureMediaServices(credential, demoSubscriptions.contosoMedia.id, {
      endpoint: e2eStack.emulatorUrl,
      agent,
    }),
    keys: (vault: string) =>
      new KeyClient(`https://${vault}.vault.localhost:${e2eStack.emulatorPort}`, credential, { agent }),
  };
}

/** An ARM call to the emulator as the automation app. */
export async function armCall(method: string, resourcePath: string, body?: unknown, apiVersion = "2023-01-31") {
  const token = await clientCredentialsToken(demoAutomationApp);
  const res = await httpsJson(
    emulatorAgent(),
    method,
    `${e2eStack.emulatorUrl}${resourcePath}?api-version=${apiVersion}`,
    body,
    { authorization: `Bearer ${token}` },
  );
  if (res.status >= 300) throw new Error(`${method} ${resourcePath}: HTTP ${res.status}`);
  return res.json;
}

/** Gives a principal key permissions (default get/wrapKey/unwrapKey) on each named vault, as the vault's owner would in Azure. */
export async function grantKeyAccess(
  principalId: string,
  vaults: string[],
  tenantId: string,
  keys = ["get", "wrapKey", "unwrapKey"],
) {
  for (const vault of vaults)
    await accessPolicy("add", vault, { tenantId, objectId: principalId, permissions: { keys } });
}

/** Removes a principal's access policy from a vault, as a vault owner revoking a key would. */
export async function revokeKeyAccess(principalId: string, vault: string, tenantId: string) {
  await accessPolicy("remove", vault, { tenantId, objectId: principalId, permissions: { keys: [] } });
}

function accessPolicy(
  operation: "add" | "remove",
  vault: string,
  policy: { tenantId: string; objectId: string; permissions: { keys: string[] } },
) {
  return armCall(
    "PUT",
    `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}/accessPolicies/${operation}`,
    { properties: { accessPolicies: [policy] } },
  );
}
