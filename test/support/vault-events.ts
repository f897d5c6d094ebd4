/**
 * Key Vault events for tests and benches: a system topic on a demo vault and a webhook
 * subscription with Entra-protected delivery for the portal's app, created through the emulator's
 * ARM as the automation principal (Owner of Contoso), as an owner's `az eventgrid` would.
 */
import { demoPortalApp, demoSubscriptions, demoTenants, demoVaults } from "@/lib/demo/directory";
import type { TestEmulator } from "@/emulator/test-support";

export const eventGridApiVersion = "2022-06-15";

export async function subscribeToVaultEvents(
  emu: TestEmulator,
  options: { vault: string; endpointUrl: string; name?: string; schema?: "EventGridSchema" | "CloudEventSchemaV1_0" },
): Promise<{ topicPath: string; subscriptionPath: string }> {
  const rg = demoVaults.resourceGroup;
  const sub = demoSubscriptions.contosoMedia.id;
  const topicPath = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.EventGrid/systemTopics/${options.vault}-events`;
  const source = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${options.vault}`;
  const topic = await emu.armFetch(
    "PUT",
    topicPath,
    { location: "westus2", properties: { source, topicType: "Microsoft.KeyVault.vaults" } },
    eventGridApiVersion,
  );
  if (topic.status >= 300) throw new Error(`system topic: HTTP ${topic.status} ${JSON.stringify(topic.json)}`);
  const subscriptionPath = `${topicPath}/eventSubscriptions/${options.name ?? "byok-monitor"}`;
  const created = await emu.armFetch(
    "PUT",
    subscriptionPath,
    {
      properties: {
        destination: {
          endpointType: "WebHook",
          properties: {
            endpointUrl: options.endpointUrl,
            azureActiveDirectoryTenantId: demoTenants.contoso.id,
            azureActiveDirectoryApplicationIdOrUri: `api://${demoPortalApp.clientId}`,
          },
        },
        eventDeliverySchema: options.schema ?? "EventGridSchema",
      },
    },
    eventGridApiVersion,
  );
  if (created.status >= 300)
    throw new Error(`event subscription: HTTP ${created.status} ${JSON.stringify(created.json)}`);
  return { topicPath, subscriptionPath };
}
