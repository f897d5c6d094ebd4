/**
 * Issue 13, "Key state everywhere": one state badge (Active, Inaccessible with its reason) on the
 * accounts list, the account page, the encryption page and the media page, each with a Check now
 * whose accessible name is its label; the saved key preselected; switching back to the system key
 * asks first, naming the account.
 */
import { demoUsers, demoVaults } from "../lib/demo/directory";
import { newCompliantKey } from "./arm";
import { expect, test } from "./fixtures";
import { AccountPage, AccountsPage } from "./pages/account-page";
import { httpsJson } from "../emulator/test-support";
import { DashboardPage } from "./pages/dashboard-page";
import { EncryptionPage } from "./pages/encryption-page";
import { e2eStack, emulatorAgent } from "./stack";

test.describe.configure({ timeout: 120_000 });

test("the key state badge shows Active, then Inaccessible with its reason, on every page of the account", async ({
  page,
  accounts,
  uniqueName,
}) => {
  const keyName = uniqueName("state-key");
  const { vault, keys, key, keyIdentifier } = await newCompliantKey(keyName);
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

test("a pinned key's version is preselected; Key Vault unreachable shows as such with the state kept; the timeline speaks plain words", async ({
  page,
  accounts,
  uniqueName,
}) => {
  const keyName = uniqueName("pin-key");
  const { vault, keys, key: first, keyIdentifier: latest } = await newCompliantKey(keyName);
  await keys.createRsaKey(keyName, { keySize: 2048 }); // a newer version, so the pinned one is not simply the latest
  const keyIdentifier = `${latest}/${first.properties.version}`;
  const { name } = await accounts.createWithCustomerKey("pinned", { vault, keyIdentifier });

  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.owner.upn);
  await expect(encryption.form.getByLabel("Key", { exact: true })).toHaveValue(keyName);
  await expect(encryption.form.getByRole("radio", { name: "A specific version" })).toBeChecked();
  await expect(encryption.form.getByLabel("Version to pin"), "the saved version").toHaveValue(
    first.properties.version!,
  );

  // Every Key Vault call for this key answers 503 until the fault is cleared: the monitor keeps the state.
  const fault = (
    await httpsJson(emulatorAgent(), "POST", `${e2eStack.emulatorUrl}/_emulator/faults`, {
      target: "keyvault",
      vault,
      key: keyName,
      kind: "status",
      status: 503,
    })
  ).json as { id: string };
  const account = new AccountPage(page, name);
  try {
    await expect(async () => {
      await account.goto();
      await expect(account.keyState).toHaveAttribute("data-unreachable", "true", { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(account.keyState).toHaveAttribute("data-state", "CustomerKey");
    await expect(account.keyState.locator(".badge")).toHaveText("Key Vault unreachable");
    await expect(account.keyState.getByTestId("state-reason")).toContainText("the account keeps its state meanwhile");
  } finally {
    await httpsJson(emulatorAgent(), "DELETE", `${e2eStack.emulatorUrl}/_emulator/faults/${fault.id}`);
  }
  await expect(async () => {
    await account.goto();
    await expect(account.keyState.locator(".badge")).toHaveText("Active", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });

  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  const switched = dashboard.timeline
    .getByRole("listitem")
    .filter({ has: page.locator('[data-reason="CustomerKeyConfigured"]') })
    .filter({ hasText: `${name}:` });
  await expect(switched).toContainText(`${name}: Switched to the customer key ${keyName}`);
  await expect(switched, "no raw codes").not.toContainText(/CustomerKeyConfigured|SystemKey|→/);
});
