import { demoAutomationApp, demoResourceGroup, demoSubscriptions, demoTenants, demoUsers, demoVaults } from "../lib/demo/directory";
import { automationClients, grantKeyAccess } from "./arm";
import { expect, signIn, test } from "./fixtures";
import { clientCredentialsToken } from "./tokens";
import { e2eStack } from "./stack";

test("a revoked key shows on the dashboard by itself, blocks operations with a clear error, and the account recovers when the key is back", async ({ page, request }) => {
  test.setTimeout(90_000);
  const { media, keys } = automationClients();
  const name = `dash${Date.now().toString(36)}`;
  const keyName = `key-${name}`;
  await grantKeyAccess(demoAutomationApp.objectId, [demoVaults.compliant.name], demoTenants.contoso.id, ["get", "create", "update"]);
  const key = await keys(demoVaults.compliant.name).createRsaKey(keyName, { keySize: 2048 });
  const created = await media.mediaservices.beginCreateOrUpdateAndWait(demoResourceGroup, name, { location: "westus2", identity: { type: "SystemAssigned" } });
  await grantKeyAccess(created.identity!.principalId!, [demoVaults.compliant.name], demoTenants.contoso.id);
  const keyIdentifier = `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}/keys/${keyName}`;
  await media.mediaservices.beginUpdateAndWait(demoResourceGroup, name, { encryption: { type: "CustomerKey", keyVaultProperties: { keyIdentifier } } });

  await signIn(page, demoUsers.owner.upn, "/dashboard");
  const row = page.locator(`tr[data-account="${name}"]`);
  await expect(row).toHaveAttribute("data-state", "CustomerKey");
  await expect(row.getByTestId("current-version")).toHaveText(key.properties.version!);

  await keys(demoVaults.compliant.name).updateKeyProperties(keyName, key.properties.version!, { enabled: false });
  // No reload: the monitor sees it within its interval and the dashboard refreshes itself.
  await expect(row).toHaveAttribute("data-state", "CustomerKeyInaccessible", { timeout: 20_000 });
  await expect(row.getByTestId("state-reason")).toContainText("KeyDisabled");
  await row.getByText(/blocked/).click();
  await expect(row.getByTestId("blocked-operations")).toContainText("Deliver content keys to players (streaming)");
  await expect(row.getByTestId("blocked-operations")).not.toContainText("Delete the account");
  await expect(page.getByTestId("timeline")).toContainText(`${name}: CustomerKey → CustomerKeyInaccessible (KeyDisabled)`);
  await page.getByTestId("filter-CustomerKeyInaccessible").click();
  await expect(page.locator(`tr[data-account="${name}"]`)).toBeVisible();
  await expect(page.locator('tr[data-state="SystemKey"]')).toHaveCount(0);

  // The REST API: GET works and says why; a change is refused with the inaccessible error.
  const token = await clientCredentialsToken(demoAutomationApp);
  const url = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${name}?api-version=2021-11-01`;
  const auth = { authorization: `Bearer ${token}` };
  expect((await (await request.get(url, { headers: auth })).json()).properties.encryption.status).toBe("CustomerKeyInaccessible");
  const refused = await request.patch(url, { headers: auth, data: { properties: { encryption: { type: "SystemKey" } } } });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toMatchObject({ error: { code: "CustomerKeyInaccessible", message: expect.stringContaining("Restore the account identity's access") } });

  await keys(demoVaults.compliant.name).updateKeyProperties(keyName, key.properties.version!, { enabled: true });
  await page.getByTestId("filter-CustomerKey").click();
  await expect(page.locator(`tr[data-account="${name}"]`)).toHaveAttribute("data-state", "CustomerKey", { timeout: 20_000 });
  await expect(page.getByTestId("timeline")).toContainText(`${name}: CustomerKeyInaccessible → CustomerKey (AccessRestored)`);
  expect((await request.patch(url, { headers: auth, data: {} })).status(), "changes work again").toBe(200);
});
