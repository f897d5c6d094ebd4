import "server-only";
import { z } from "zod";
import { accountFor, accountResourceId } from "@/lib/accounts/service";
import type { AccountRef } from "@/lib/accounts/store";
import { audit } from "@/lib/audit";
import type { Principal } from "@/lib/auth/principal";
import { httpsRequest } from "@/lib/azure/https-request";
import { azureAgent } from "@/lib/azure/transport";
import { vaultsVisibleTo } from "@/lib/azure/arm-vaults";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { parseKeyIdentifier } from "@/lib/keyvault/key-id";
import { keyVaultEventTypes } from "./key-vault-event-types";
import { lastVaultEvent } from "./store";

/**
 * "Instant detection" for an account's customer key: an Event Grid subscription on the owner's
 * vault that delivers Key Vault's events to this service's webhook, with Entra-protected
 * delivery for this app. Created with the owner's own ARM token (the service has no rights on
 * their vault), or by the owner with the az CLI commands shown.
 */

export const eventGridApiVersion = "2022-06-15";
const subscriptionName = "byok-media-key-monitor";

export interface InstantDetection {
  vaultName: string;
  /** Where Event Grid must deliver: this service's webhook. */
  webhookUrl: string;
  /** The app (App ID URI) Event Grid gets a token for, and the tenant it asks. */
  appIdOrUri: string;
  tenantId: string;
  /** The same as `az` commands, for owners who prefer them or lack the portal's rights. */
  commands: string[];
  lastEvent: { at: Date; type: string; received: number } | null;
}

const SystemTopicList = z.object({
  value: z.array(z.object({ name: z.string(), properties: z.object({ source: z.string() }) })),
});
const ArmResource = z.looseObject({ id: z.string(), properties: z.record(z.string(), z.unknown()).optional() });

const webhookUrl = () => `${getConfig().publicUrl}/api/events/keyvault`;
const appIdOrUri = () => `api://${getConfig().auth.clientId}`;

function vaultOf(keyIdentifier: string) {
  const { endpoints, profile } = getConfig();
  return parseKeyIdentifier(keyIdentifier, {
    dnsSuffixes: endpoints.keyVaultDnsSuffixes,
    allowPort: profile === "local",
  });
}

async function customerKeyAccount(principal: Principal, ref: AccountRef, action: "read" | "write") {
  const account = await accountFor(principal, ref, {
    action,
    operation: `Microsoft.Media/mediaservices/encryption/${action}`,
    target: `${accountResourceId(ref)}/encryption`,
    policy: "key.check",
  });
  if (account.encryptionType !== "CustomerKey" || !account.keyIdentifier)
    throw new DomainError(
      "InvalidRequestContent",
      "Instant detection needs a customer key: the account uses the system key.",
    );
  return account;
}

/** What the encryption page shows about instant detection for the account's vault. */
export async function instantDetectionFor(principal: Principal, ref: AccountRef): Promise<InstantDetection> {
  const account = await customerKeyAccount(principal, ref, "read");
  const key = vaultOf(account.keyIdentifier!);
  const feed = await lastVaultEvent(new URL(key.vaultUrl).host);
  const topic = `${key.vaultName}-events`;
  const types = keyVaultEventTypes.join(" ");
  return {
    vaultName: key.vaultName,
    webhookUrl: webhookUrl(),
    appIdOrUri: appIdOrUri(),
    tenantId: principal.tenantId,
    commands: [
      `VAULT_ID=$(az keyvault show --name ${key.vaultName} --query id -o tsv)`,
      `RG=$(az keyvault show --name ${key.vaultName} --query resourceGroup -o tsv)`,
      `# A vault has at most one system topic: reuse it if there is one.\nTOPIC=$(az eventgrid system-topic list --resource-group $RG --query "[?source=='$VAULT_ID'].name | [0]" -o tsv)`,
      `[ -n "$TOPIC" ] || { TOPIC=${topic}; az eventgrid system-topic create --name $TOPIC --resource-group $RG --location $(az keyvault show --name ${key.vaultName} --query location -o tsv) --topic-type microsoft.keyvault.vaults --source $VAULT_ID; }`,
      `# Event Grid's own app must deliver (Entra ID): not the topic's managed identity (no delivery-identity options): the service refuses its tokens.\naz eventgrid system-topic event-subscription create --name ${subscriptionName} --system-topic-name $TOPIC --resource-group $RG --endpoint ${webhookUrl()} --endpoint-type webhook --included-event-types ${types} --azure-active-directory-tenant-id ${principal.tenantId} --azure-active-directory-application-id-or-uri ${appIdOrUri()}`,
    ],
    lastEvent: feed && { at: feed.lastEventAt, type: feed.lastEventType, received: feed.received },
  };
}

async function armCall(method: "GET" | "PUT", path: string, body: unknown, armToken: string) {
  const res = await httpsRequest(`${getConfig().endpoints.armEndpoint}${path}?api-version=${eventGridApiVersion}`, {
    method,
    agent: azureAgent(),
    headers: { authorization: `Bearer ${armToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    timeoutMs: 60_000,
  });
  if (res.status < 300) return JSON.parse(res.text) as unknown;
  let error: { code?: string; message?: string } = {};
  try {
    error = (JSON.parse(res.text) as { error?: typeof error }).error ?? {};
  } catch {
    // not ARM's error JSON
  }
  if (res.status === 403 || res.status === 401)
    throw new DomainError(
      "AuthorizationFailed",
      `Azure refused to create the event subscription as you (${error.code ?? res.status}): you need Owner or EventGrid Contributor on the vault's resource group. You can also run the az commands shown.`,
    );
  throw new DomainError(
    "InvalidRequestContent",
    `Azure did not create the event subscription: ${error.message ?? `HTTP ${res.status}`}`,
  );
}

/**
 * Creates (or updates) this service's event subscription on the vault's system topic (the one it
 * has, or a new `<vault>-events`), as the owner (their delegated ARM token). Event Grid validates the webhook while it creates
 * the subscription, so success means events can flow.
 */
export async function enableInstantDetectionFor(
  principal: Principal,
  ref: AccountRef,
  armToken: string | null,
): Promise<{ provisioningState: string; vaultName: string }> {
  const account = await customerKeyAccount(principal, ref, "write");
  if (!armToken)
    throw new DomainError(
      "AuthorizationFailed",
      "Your sign-in has no access to Azure Resource Manager: sign in again.",
    );
  const key = vaultOf(account.keyIdentifier!);
  const vault = (await vaultsVisibleTo(armToken)).find((v) => v.name.toLowerCase() === key.vaultName.toLowerCase());
  if (!vault)
    throw new DomainError("VaultNotVisible", `You cannot read the vault ${key.vaultName} in Azure Resource Manager.`);
  const vaultId = `/subscriptions/${vault.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault.name}`;
  const topicsPath = `/subscriptions/${vault.subscriptionId}/resourceGroups/${vault.resourceGroup}/providers/Microsoft.EventGrid/systemTopics`;
  // Azure allows one system topic per vault: reuse the one the owner may already have, of any name.
  const { value: topics } = SystemTopicList.parse(await armCall("GET", topicsPath, undefined, armToken));
  const existing = topics.find((t) => t.properties.source.toLowerCase() === vaultId.toLowerCase());
  const topicPath = `${topicsPath}/${existing?.name ?? `${vault.name}-events`}`;
  if (!existing)
    await armCall(
      "PUT",
      topicPath,
      { location: vault.location, properties: { source: vaultId, topicType: "Microsoft.KeyVault.vaults" } },
      armToken,
    );
  const created = ArmResource.parse(
    await armCall(
      "PUT",
      `${topicPath}/eventSubscriptions/${subscriptionName}`,
      {
        properties: {
          destination: {
            endpointType: "WebHook",
            properties: {
              endpointUrl: webhookUrl(),
              azureActiveDirectoryTenantId: principal.tenantId,
              azureActiveDirectoryApplicationIdOrUri: appIdOrUri(),
            },
          },
          filter: { includedEventTypes: [...keyVaultEventTypes] },
          eventDeliverySchema: "CloudEventSchemaV1_0",
        },
      },
      armToken,
    ),
  );
  await audit({
    actor: principal.objectId,
    action: "encryption.instantDetection",
    outcome: "success",
    subscriptionId: ref.subscriptionId,
    accountId: account.id,
    detail: { vault: vaultId },
  });
  return { provisioningState: String(created.properties?.provisioningState ?? "Succeeded"), vaultName: vault.name };
}
