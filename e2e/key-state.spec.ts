/**
 * Issue 13, "Key state everywhere": one state badge (Active, Inaccessible with its reason) on the
 * accounts list, the account page, the encryption page and the media page, each with a Check now
 * whose accessible name is its label; the saved key preselected; switching back to the system key
 * asks first, naming the account.
 */
import { demoAutomationApp, demoTenants, demoUsers, demoVaults } from "../lib/demo/directory";
import { automationClients, grantKeyAccess } from "./arm";
import { expect, test } from "./fixtures";
import { AccountPage, AccountsPage } from "./pages/account-page";
import { EncryptionPage } from "./pages/encryption-page";
import { e2eStack } from "./stack";

test.describe.configure({ timeout: 120_000 });

test("the key state badge shows Active, then Inaccessible with its reason, on every page of the account", async ({
  page,
  accounts,
  uniqueName,
}) => {
  const vault = demoVaults.compliant.name;
  const keys = automationClients().keys(vault);
  const keyName = uniqueName("state-key");
  await grantKeyAccess(demoAutomationApp.objectId, [vault], demoTenants.contoso.id, ["get", "create", "update"]);
  const key = await keys.createRsaKey(keyName, { keySize: 2048 });
  const keyIdentifier = `https://${vault}.vault.localhost:${e2eStack.emulatorPort}/keys/${keyName}`;
  const { name } = await accounts.createWithCustomerKey("state", { vault, keyIdentifier });

  const list = new AccountsPage(page);
  await list.signIn(demoUsers.owner.upn);
  await expect(list.keyState(name)).toHaveAttribute("data-state", "CustomerKey");
  await expect(list.keyState(name).locator(".badge")).toHaveText("Active");

  const encryption = new EncryptionPage(page, name);
  await encryption.goto();
  await expect(encryption.keyState.locator(".badge")).toHaveText("Active");
  await expect(page.getByLabel("Key vault", { exact: true }), "the saved key's vault").toHaveValue(vault);
  await expect(encryption.form.getByLabel("Key", { exact: true }), "the saved key").toHaveValue(keyName);

  await keys.updateKeyProperties(keyName, key.properties.version!, { enabled: false });
  const pages = [
    new AccountsPage(page),
    new AccountPage(page, name),
    encryption,
    { goto: () => page.goto(`${new AccountPage(page, name).path}/media`) },
  ];
  for (const p of pages) {
    await expect(async () => {
      await p.goto();
      const badge = p instanceof AccountsPage ? p.keyState(name) : page.getByRole("main").getByTestId("key-state");
      await expect(badge).toHaveAttribute("data-state", "CustomerKeyInaccessible", { timeout: 1_000 });
      await expect(badge.locator(".badge")).toHaveText("Inaccessible");
      await expect(badge.getByTestId("state-reason")).toContainText("is disabled");
      await expect(badge.getByRole("button", { name: "Check now", exact: true })).toBeVisible();
    }).toPass({ timeout: 30_000 });
  }

  await encryption.goto();
  await encryption.keyState.getByRole("button", { name: "Check now", exact: true }).click();
  await expect(encryption.keyState.getByTestId("check-result")).toContainText("Still inaccessible", {
    timeout: 30_000,
  });
});

test("switching back to the system key asks first in a dialog that names the account", async ({ page, accounts }) => {
  const vault = demoVaults.compliant.name;
  const keyIdentifier = `https://${vault}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-3072`;
  const { name } = await accounts.createWithCustomerKey("confirm", { vault, keyIdentifier });
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.owner.upn);
  await page.getByRole("button", { name: "Switch back to the system key" }).click();
  await expect(encryption.systemKeyDialog).toBeVisible();
  await encryption.systemKeyDialog.getByRole("button", { name: "Cancel" }).click();
  await page.reload();
  await expect(encryption.type, "cancel changes nothing").toHaveText("CustomerKey");

  await encryption.switchToSystemKey();
  await expect(page.getByText("The account is back on the system key")).toBeVisible({ timeout: 20_000 });
  await page.reload();
  await expect(encryption.type).toHaveText("SystemKey");
});
