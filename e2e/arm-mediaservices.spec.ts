/**
 * The official @azure/arm-mediaservices client, unchanged, through the emulator's ARM endpoint,
 * which forwards Microsoft.Media to the portal as ARM forwards to a resource provider.
 */
import { demoResourceGroup, demoSubscriptions, demoTenants, demoVaults } from "../lib/demo/directory";
import { armCall, automationClients, grantKeyAccess } from "./arm";
import { expect, test } from "./fixtures";
import { e2eStack } from "./stack";

test("create with SystemKey, read principalId, switch to CustomerKey (latest, then pinned), switch back, delete", async ({
  uniqueName,
}) => {
  test.setTimeout(60_000);
  const client = automationClients().media;
  const name = uniqueName("sdk");

  const created = await client.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, name, {
    location: "westus2",
    identity: { type: "SystemAssigned" },
    encryption: { type: "SystemKey" },
    storageAccounts: [],
  });
  expect(created.name).toBe(name);
  expect(created.encryption?.type).toBe("SystemKey");
  const principalId = created.identity?.principalId;
  expect(principalId).toMatch(/^[0-9a-f-]{36}$/);
  expect((await client.mediaservices.get(demoResourceGroup, name)).identity?.principalId).toBe(principalId);

  await grantKeyAccess(principalId!, [demoVaults.compliant.name], demoTenants.contoso.id);
  const vaultUrl = `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}`;
  const keyIdentifier = `${vaultUrl}/keys/rsa-2048`;

  const switched = await client.mediaservices.beginUpdateAndWait(demoResourceGroup, name, {
    encryption: {
      type: "CustomerKey",
      keyVaultProperties: { keyIdentifier },
      identity: { useSystemAssignedIdentity: true },
    },
  });
  expect(switched.encryption?.type).toBe("CustomerKey");
  expect(switched.encryption?.keyVaultProperties?.keyIdentifier).toBe(keyIdentifier);
  const current = (await client.mediaservices.get(demoResourceGroup, name)).encryption?.keyVaultProperties
    ?.currentKeyIdentifier;
  expect(current).toMatch(new RegExp(`^${keyIdentifier.replace(/\./g, "\\.")}/[0-9a-f]{32}$`));

  const pinned = await client.mediaservices.beginUpdateAndWait(demoResourceGroup, name, {
    encryption: {
      type: "CustomerKey",
      keyVaultProperties: { keyIdentifier: current! },
      identity: { useSystemAssignedIdentity: true },
    },
  });
  expect(pinned.encryption?.keyVaultProperties?.keyIdentifier).toBe(current);
  expect(pinned.encryption?.keyVaultProperties?.currentKeyIdentifier).toBe(current);

  const back = await client.mediaservices.beginUpdateAndWait(demoResourceGroup, name, {
    encryption: { type: "SystemKey" },
  });
  expect(back.encryption?.type).toBe("SystemKey");

  const listed: string[] = [];
  for await (const account of client.mediaservices.list(demoResourceGroup)) listed.push(account.name!);
  expect(listed).toContain(name);

  await client.mediaservices.delete(demoResourceGroup, name);
  await expect(client.mediaservices.get(demoResourceGroup, name)).rejects.toMatchObject({ statusCode: 404 });
});

test("the official client sees a refused binding as an error with the reason, and nothing changes", async ({
  uniqueName,
}) => {
  const client = automationClients().media;
  const name = uniqueName("sdkref");
  await client.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, name, {
    location: "westus2",
    identity: { type: "SystemAssigned" },
  });
  await expect(
    client.mediaservices.beginUpdateAndWait(demoResourceGroup, name, {
      encryption: {
        type: "CustomerKey",
        keyVaultProperties: {
          keyIdentifier: `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-2048`,
        },
      },
    }),
  ).rejects.toMatchObject({ statusCode: 400, code: "KeyVaultAccessDenied" });
  expect((await client.mediaservices.get(demoResourceGroup, name)).encryption?.type).toBe("SystemKey");
  await client.mediaservices.delete(demoResourceGroup, name);
});

test("a user-assigned identity, attached with the official client, reads the customer key", async ({ uniqueName }) => {
  const client = automationClients().media;
  const name = uniqueName("sdkuami");
  const identityId = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${name}`;
  const identity = (
    (await armCall("PUT", identityId, { location: "westus2" })) as {
      properties: { principalId: string; clientId: string };
    }
  ).properties;

  const created = await client.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, name, {
    location: "westus2",
    identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
  });
  expect(created.identity?.type).toBe("UserAssigned");
  expect(created.identity?.userAssignedIdentities?.[identityId]).toMatchObject({
    principalId: identity.principalId,
    clientId: identity.clientId,
  });

  await grantKeyAccess(identity.principalId, [demoVaults.compliant.name], demoTenants.contoso.id);
  const keyIdentifier = `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-3072`;
  const switched = await client.mediaservices.beginUpdateAndWait(demoResourceGroup, name, {
    encryption: {
      type: "CustomerKey",
      keyVaultProperties: { keyIdentifier },
      identity: { useSystemAssignedIdentity: false, userAssignedIdentity: identityId },
    },
  });
  expect(switched.encryption?.identity).toEqual({ useSystemAssignedIdentity: false, userAssignedIdentity: identityId });
  expect(switched.encryption?.keyVaultProperties?.currentKeyIdentifier).toMatch(/\/keys\/rsa-3072\/[0-9a-f]{32}$/);

  await expect(
    client.mediaservices.beginUpdateAndWait(demoResourceGroup, name, {
      encryption: {
        type: "CustomerKey",
        keyVaultProperties: { keyIdentifier },
        identity: {
          useSystemAssignedIdentity: false,
          userAssignedIdentity: identityId.replace(`id-${name}`, "not-attached"),
        },
      },
    }),
  ).rejects.toMatchObject({ statusCode: 400, code: "InvalidRequestContent" });
  await client.mediaservices.delete(demoResourceGroup, name);
});
