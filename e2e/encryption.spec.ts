import { demoTenants, demoUsers, demoVaults } from "../lib/demo/directory";
import { grantKeyAccess } from "./arm";
import { query } from "./db";
import { expect, signIn, test } from "./fixtures";

test("the owner binds an RSA-3072 customer key, and non-compliant keys and vaults are refused with their reason", async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, demoUsers.owner.upn);
  const name = `cmk${Date.now().toString(36)}`;
  const form = page.getByTestId("create-account-form");
  await form.getByLabel("Account name").fill(name);
  await form.getByLabel("Managed identity").selectOption("SystemAssigned");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByText(`Account ${name} created`)).toBeVisible();

  const [account] = await query<{ principalId: string }>(`SELECT "principalId" FROM "MediaAccount" WHERE name = $1`, [name]);
  await grantKeyAccess(account!.principalId, [demoVaults.compliant.name, demoVaults.noPurgeProtection.name, demoVaults.otherRegion.name], demoTenants.contoso.id);

  await page.getByTestId("accounts-table").getByRole("link", { name }).click();
  await page.getByRole("link", { name: "Manage encryption" }).click();
  await expect(page.getByTestId("encryption-type")).toHaveText("SystemKey");
  const systemVersion = await page.getByTestId("current-key-identifier").textContent();

  await page.getByLabel("Key vault", { exact: true }).selectOption(demoVaults.compliant.name);
  await page.waitForURL(/vault=contoso-byok/);
  const encryption = page.getByTestId("encryption-form");
  await encryption.getByLabel("Key", { exact: true }).selectOption("rsa-3072");
  await encryption.getByRole("button", { name: "Validate" }).click();
  const checks = encryption.getByTestId("validation-checks");
  await expect(checks.locator("li")).toHaveCount(9);
  await expect(checks.locator('li[data-ok="true"]')).toHaveCount(9);
  await expect(encryption.getByText("Every check passed")).toBeVisible();

  await encryption.getByRole("button", { name: "Save" }).click();
  await expect(encryption.getByText("Saved: the account key is now wrapped by")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("encryption-type")).toHaveText("CustomerKey");
  const current = page.getByTestId("current-key-identifier");
  await expect(current).toHaveText(/contoso-byok\.vault\.localhost:\d+\/keys\/rsa-3072\/[0-9a-f]{32}$/);
  const bound = await current.textContent();
  expect(bound).not.toBe(systemVersion);

  // Refusals: each with its reason, and nothing changes.
  const refuse = async (vault: string, key: string, check: string, reason: RegExp) => {
    await page.getByLabel("Key vault", { exact: true }).selectOption(vault);
    await page.waitForURL(new RegExp(`vault=${vault}`));
    await encryption.getByLabel("Key", { exact: true }).selectOption(key);
    await encryption.getByRole("button", { name: "Save" }).click();
    await expect(encryption.getByRole("alert")).toContainText(reason);
    await expect(encryption.locator(`li[data-check="${check}"]`)).toHaveAttribute("data-ok", "false");
    await expect(encryption.locator('li[data-check="access"]'), "no live round-trip once a check failed").toHaveAttribute("data-ok", "null");
    await page.reload();
    await expect(page.getByTestId("current-key-identifier")).toHaveText(bound!);
  };
  await refuse(demoVaults.compliant.name, "ec-p256", "type", /EC keys cannot wrap an account key/);
  await refuse(demoVaults.noPurgeProtection.name, "rsa-2048", "recovery", /no purge protection/);
  await refuse(demoVaults.otherRegion.name, "rsa-2048", "region", /The vault is in eastus, the account in westus2/);

  await page.getByRole("button", { name: "Switch back to the system key" }).click();
  await expect(page.getByText("The account is back on the system key")).toBeVisible();
  await page.reload();
  await expect(page.getByTestId("encryption-type")).toHaveText("SystemKey");
});
