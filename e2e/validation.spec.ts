/**
 * Issue 13, "Validation that tells the truth": what the vault's metadata says is checked before and
 * without key access; no wrong advice for an EC key; each failure printed once; results cleared when
 * the choice changes; a vault switch shows that it loads and cannot save meanwhile.
 */
import { httpsJson } from "../emulator/test-support";
import { demoTenants, demoUsers, demoVaults } from "../lib/demo/directory";
import { grantKeyAccess } from "./arm";
import { expect, test } from "./fixtures";
import { EncryptionPage } from "./pages/encryption-page";
import { e2eStack, emulatorAgent } from "./stack";

test.describe.configure({ timeout: 90_000 });

test("without key access, purge protection and region failures are still told, first", async ({ page, accounts }) => {
  const { name } = await accounts.create("vmeta");
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.owner.upn);

  await encryption.pickVault(demoVaults.noPurgeProtection.name);
  await encryption.pickKey("rsa-2048");
  await encryption.validate();
  await expect(encryption.check("recovery")).toHaveAttribute("data-ok", "false");
  await expect(encryption.check("recovery")).toContainText("no purge protection");
  await expect(encryption.check("region")).toHaveAttribute("data-ok", "true");
  await expect(encryption.check("key")).toHaveAttribute("data-ok", "false");
  await expect(encryption.form.getByText("no purge protection"), "each failure printed once").toHaveCount(1);
  // What the vault's metadata tells comes first: the user learns that the vault can never be used before the key.
  const order = await encryption.checks
    .locator("li[data-check]")
    .evaluateAll((items) => items.map((li) => li.getAttribute("data-check")));
  expect(order.indexOf("recovery"), `recovery before key in ${order.join(", ")}`).toBeLessThan(order.indexOf("key"));
  expect(order.indexOf("region"), `region before key in ${order.join(", ")}`).toBeLessThan(order.indexOf("key"));
  expect(order.indexOf("recovery")).toBeGreaterThanOrEqual(0);
  expect(order.indexOf("region")).toBeGreaterThanOrEqual(0);

  await encryption.pickVault(demoVaults.otherRegion.name);
  await expect(encryption.checks, "a new vault clears the old results").toHaveCount(0);
  await encryption.pickKey("rsa-2048");
  await encryption.validate();
  await expect(encryption.check("region")).toHaveAttribute("data-ok", "false");
  await expect(encryption.check("region")).toContainText("The vault is in eastus, the account in westus2");
});

test("an EC key is refused for its type only, and a changed choice clears the results", async ({ page, accounts }) => {
  const { name, principalId } = await accounts.create("vec");
  await grantKeyAccess(principalId!, [demoVaults.compliant.name], demoTenants.contoso.id);
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.owner.upn);
  await encryption.pickVault(demoVaults.compliant.name);
  await encryption.pickKey("ec-p256");
  await encryption.validate();
  await expect(encryption.check("type")).toHaveAttribute("data-ok", "false");
  await expect(encryption.check("type")).toContainText("EC keys cannot wrap an account key");
  await expect(page.getByText("EC keys cannot wrap an account key"), "the failure is printed once").toHaveCount(1);
  await expect(encryption.check("operations"), "no advice to add wrapKey/unwrapKey").toHaveAttribute("data-ok", "null");
  await expect(encryption.form.getByText("add them to its permitted operations")).toHaveCount(0);

  await encryption.pickKey("rsa-3072");
  await expect(encryption.checks).toHaveCount(0);
  await expect(encryption.alert).toHaveCount(0);
});

test("switching the vault shows that its keys load, hides the previous vault's keys and cannot save meanwhile", async ({
  page,
  accounts,
}) => {
  const { name } = await accounts.create("vload");
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.owner.upn);
  await encryption.pickVault(demoVaults.compliant.name);
  await expect(encryption.form.getByLabel("Key", { exact: true })).toBeVisible();
  // Key Vault answers the key list of the next vault slowly, once.
  const fault = await httpsJson(emulatorAgent(), "POST", `${e2eStack.emulatorUrl}/_emulator/faults`, {
    vault: demoVaults.noPurgeProtection.name,
    operation: "list",
    kind: "latency",
    latencyMs: 4_000,
    count: 1,
  });
  expect(fault.status).toBe(201);
  await page.getByLabel("Key vault", { exact: true }).selectOption(demoVaults.noPurgeProtection.name);
  await expect(encryption.form.getByTestId("vault-loading")).toContainText(
    `Loading the keys of ${demoVaults.noPurgeProtection.name}`,
  );
  await expect(encryption.form.getByRole("button", { name: "Save" })).toBeHidden();
  await expect(encryption.form.getByLabel("Key", { exact: true }), "the previous vault's keys").toBeHidden();
  await page.waitForURL(new RegExp(`vault=${demoVaults.noPurgeProtection.name}`));
  await expect(encryption.form.getByTestId("vault-loading")).toHaveCount(0);
  await expect(encryption.form.getByRole("button", { name: "Save" })).toBeEnabled();
});
