/**
 * The official @azure/arm-mediaservices client, unchanged, in both of the API's modes: through the
 * emulator's ARM endpoint, which forwards Microsoft.Media to the portal as ARM forwards to a
 * resource provider ("chromium" project), and at the portal's own URL with tokens for the API's App
 * ID URI, as in Azure, where the API reads ARM on its callers' behalf ("api-direct" project).
 */
import { randomUUID } from "node:crypto";
import { httpsJson } from "../emulator/test-support";
import {
  demoAutomationApp,
  demoResourceGroup,
  demoSubscriptions,
  demoTenants,
  demoUsers,
  demoVaults,
} from "../lib/demo/directory";
import { armCall, directMediaClient, grantKeyAccess, mediaClient } from "./arm";
import { expect, test } from "./fixtures";
import { emulatorAgent, e2eStack } from "./stack";
import { apiAppIdUri, apiMode, clientCredentialsToken, mintToken } from "./tokens";

test("create with SystemKey, read principalId, switch to CustomerKey (latest, then pinned), switch back, delete", async ({
  uniqueName,
}) => {
  test.setTimeout(60_000);
  const client = mediaClient();
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
  const client = mediaClient();
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
    // The binding runs in the long-running operation, which ends Failed with the binding's code.
  ).rejects.toThrow(/The long-running operation has failed\. KeyVaultAccessDenied\./);
  const after = await client.mediaservices.get(demoResourceGroup, name);
  expect(after.encryption?.type).toBe("SystemKey");
  expect(after.provisioningState).toBe("Failed");
  await client.mediaservices.delete(demoResourceGroup, name);
});

test("a user-assigned identity, attached with the official client, reads the customer key", async ({ uniqueName }) => {
  const client = mediaClient();
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

/** On-behalf-of exchanges the emulated Entra ID has served since it started. */
async function onBehalfOfExchanges(): Promise<number> {
  const counters = (await httpsJson(emulatorAgent(), "GET", `${e2eStack.emulatorUrl}/_emulator/counters`)).json as {
    entra?: Record<string, Record<string, number>>;
  };
  return counters.entra?.["-"]?.["on-behalf-of"] ?? 0;
}

test.describe("called directly, as in Azure", () => {
  test.skip(
    () => apiMode() !== "direct",
    "the on-behalf-of flow serves callers with tokens for the API's own audience",
  );

  test("a user's requests read ARM through one on-behalf-of exchange, then its cached token", async ({
    uniqueName,
  }) => {
    // Fabrikam's owner: no other test of this project calls as that user, so the count is this test's.
    const outsider = directMediaClient(() =>
      mintToken({ oid: demoUsers.outsider.objectId, tid: demoTenants.fabrikam.id, name: demoUsers.outsider.name }),
    );
    outsider.subscriptionId = demoSubscriptions.fabrikamMedia.id;
    const before = await onBehalfOfExchanges();
    for (const attempt of [1, 2, 3]) {
      const identityId = `/subscriptions/${demoSubscriptions.fabrikamMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/absent-${attempt}`;
      // Each asks ARM as the caller (its right to assign the identity, then the identity): none exists, so each is refused.
      await expect(
        outsider.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, uniqueName("obo"), {
          location: "westus2",
          identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
        }),
      ).rejects.toMatchObject({
        statusCode: 400,
        code: "InvalidRequestContent",
        message: expect.stringContaining("was not found"),
      });
    }
    expect(await onBehalfOfExchanges()).toBe(before + 1);
  });

  test("a daemon is told what to grant, and binds once the account's identity has Reader on the vault", async ({
    uniqueName,
  }) => {
    const daemon = directMediaClient(() => clientCredentialsToken(demoAutomationApp, apiAppIdUri));
    const name = uniqueName("daemon");
    const created = await daemon.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, name, {
      location: "westus2",
      identity: { type: "SystemAssigned" },
    });
    const principalId = created.identity!.principalId!;
    await grantKeyAccess(principalId, [demoVaults.compliant.name], demoTenants.contoso.id);
    const encryption = {
      type: "CustomerKey",
      keyVaultProperties: {
        keyIdentifier: `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-2048`,
      },
      identity: { useSystemAssignedIdentity: true },
    };
    const before = await onBehalfOfExchanges();

    const refused = await daemon.mediaservices
      .beginUpdateAndWait(demoResourceGroup, name, { encryption })
      .catch((err: unknown) => err);
    expect((refused as Error).message).toContain("The long-running operation has failed. VaultNotVisible.");
    expect((refused as Error).message).toContain(
      "Grant Reader on the vault to the account's identity, or call as a user",
    );

    const vault = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${demoVaults.compliant.name}`;
    await armCall(
      "PUT",
      `${vault}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
      {
        properties: {
          roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
          principalId,
        },
      },
      "2022-04-01",
    );
    const bound = await daemon.mediaservices.beginUpdateAndWait(demoResourceGroup, name, { encryption });
    expect(bound.encryption?.type).toBe("CustomerKey");
    expect(await onBehalfOfExchanges(), "a daemon has no user to act for").toBe(before);
    await daemon.mediaservices.delete(demoResourceGroup, name);
  });
});

test("the official client creates an account with a user-assigned identity and a customer key in one call", async ({
  uniqueName,
}) => {
  test.setTimeout(60_000);
  const client = mediaClient();
  const name = uniqueName("oneshot");
  const identityId = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-${name}`;
  const identity = (
    (await armCall("PUT", identityId, { location: "westus2" })) as { properties: { principalId: string } }
  ).properties;
  await grantKeyAccess(identity.principalId, [demoVaults.compliant.name], demoTenants.contoso.id);
  const keyIdentifier = `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-2048`;

  const created = await client.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, name, {
    location: "westus2",
    tags: { team: "media" },
    identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
    encryption: {
      type: "CustomerKey",
      keyVaultProperties: { keyIdentifier },
      identity: { useSystemAssignedIdentity: false, userAssignedIdentity: identityId },
    },
  });
  expect(created.provisioningState).toBe("Succeeded");
  expect(created.encryption?.type).toBe("CustomerKey");
  expect(created.encryption?.keyVaultProperties?.currentKeyIdentifier).toMatch(/\/keys\/rsa-2048\/[0-9a-f]{32}$/);
  expect(created.tags).toEqual({ team: "media" });
  await client.mediaservices.delete(demoResourceGroup, name);
});

test("a switch of key is a long-running operation: InProgress while Key Vault is slow, then Succeeded, through the SDK's poller", async ({
  uniqueName,
}) => {
  test.setTimeout(90_000);
  const client = mediaClient();
  const name = uniqueName("lro");
  const created = await client.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, name, {
    location: "westus2",
    identity: { type: "SystemAssigned" },
  });
  await grantKeyAccess(created.identity!.principalId!, [demoVaults.compliant.name], demoTenants.contoso.id);
  // Every call to this key (used by no other spec) waits 3 s: the switch makes three.
  const fault = (
    await httpsJson(emulatorAgent(), "POST", `${e2eStack.emulatorUrl}/_emulator/faults`, {
      target: "keyvault",
      vault: demoVaults.compliant.name,
      key: "rsa-4096",
      kind: "latency",
      latencyMs: 3000,
    })
  ).json as { id: string };
  try {
    const started = Date.now();
    const poller = await client.mediaservices.beginUpdate(demoResourceGroup, name, {
      encryption: {
        type: "CustomerKey",
        keyVaultProperties: {
          keyIdentifier: `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-4096`,
        },
        identity: { useSystemAssignedIdentity: true },
      },
    });
    expect(Date.now() - started, "the request answers before Key Vault does").toBeLessThan(3000);
    expect(poller.isDone()).toBe(false);
    expect((await client.mediaservices.get(demoResourceGroup, name)).provisioningState).toBe("InProgress");
    const done = await poller.pollUntilDone();
    expect(done.provisioningState).toBe("Succeeded");
    expect(done.encryption?.keyVaultProperties?.currentKeyIdentifier).toMatch(/\/keys\/rsa-4096\/[0-9a-f]{32}$/);
  } finally {
    await httpsJson(emulatorAgent(), "DELETE", `${e2eStack.emulatorUrl}/_emulator/faults/${fault.id}`);
  }
  await client.mediaservices.delete(demoResourceGroup, name);
});
