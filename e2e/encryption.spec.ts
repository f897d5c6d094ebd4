import { demoTenants, demoUsers, demoVaults } from "../lib/demo/directory";
import { grantKeyAccess } from "./arm";
import { expect, test } from "./fixtures";
import { AccountsPage } from "./pages/account-page";

test("the owner binds an RSA-3072 customer key, and non-compliant keys and vaults are refused with their reason", async ({
  page,
  accounts,
}) => {
  // Eleven page loads, each reading vaults, keys and the identity's access as the user.
  test.setTimeout(180_000);
  const { name, principalId } = await accounts.create("cmk");
  await grantKeyAccess(
    principalId!,
    [demoVaults.compliant.name, demoVaults.noPurgeProtection.name, demoVaults.otherRegion.name],
    demoTenants.contoso.id,
  );

  const list = new AccountsPage(page);
  await list.signIn(demoUsers.owner.upn);
  const encryption = await (await list.openAccount(name)).openEncryption();
  await expect(encryption.type).toHaveText("SystemKey");
  const systemVersion = await encryption.currentKeyIdentifier.textContent();

  await encryption.pickVault(demoVaults.compliant.name);
  await encryption.pickKey("rsa-3072");
  await encryption.validate();
  await expect(encryption.checks.locator("li")).toHaveCount(9);
  await expect(encryption.passedChecks()).toHaveCount(9);
  await expect(encryption.message("Every check passed")).toBeVisible();

  await encryption.save();
  await expect(encryption.message("Saved: the account key is now wrapped by")).toBeVisible({ timeout: 20_000 });
  await page.reload();
  await expect(encryption.type).toHaveText("CustomerKey");
  await expect(encryption.currentKeyIdentifier).toHaveText(
    /contoso-byok\.vault\.localhost:\d+\/keys\/rsa-3072\/[0-9a-f]{32}$/,
  );
  const bound = await encryption.currentKeyIdentifier.textContent();
  expect(bound).not.toBe(systemVersion);

  // Refusals: each with its reason, and nothing changes.
  const refuse = async (vault: string, key: string, check: string, reason: RegExp) => {
    await encryption.pickVault(vault);
    await encryption.pickKey(key);
    await encryption.save();
    await expect(encryption.alert).toContainText("failed: see below");
    await expect(encryption.check(check)).toHaveAttribute("data-ok", "false");
    await expect(encryption.check(check)).toContainText(reason);
    await expect(encryption.check("access"), "no live round-trip once a check failed").toHaveAttribute(
      "data-ok",
      "null",
    );
    await page.reload();
    await expect(encryption.currentKeyIdentifier).toHaveText(bound!);
  };
  await refuse(demoVaults.compliant.name, "ec-p256", "type", /EC keys cannot wrap an account key/);
  await refuse(demoVaults.noPurgeProtection.name, "rsa-2048", "recovery", /no purge protection/);
  await refuse(demoVaults.otherRegion.name, "rsa-2048", "region", /The vault is in eastus, the account in westus2/);

  await encryption.switchToSystemKey();
  await expect(page.getByText("The account is back on the system key")).toBeVisible({ timeout: 20_000 });
  await page.reload();
  await expect(encryption.type).toHaveText("SystemKey");
});
