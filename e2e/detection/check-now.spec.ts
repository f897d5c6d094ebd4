/**
 * Issue 13, "Key state everywhere": after a Check now that itself found the key inaccessible, the
 * portal says so, not "Still inaccessible". On this stack the monitor polls every 60 s and the
 * account has no Key Vault events, so the check the user starts is the one that sees the change.
 */
import { demoTenants, demoUsers, demoVaults } from "../../lib/demo/directory";
import { revokeKeyAccess } from "../arm";
import { expect, test } from "../fixtures";
import { EncryptionPage } from "../pages/encryption-page";
import { e2eStack } from "../stack";

const vault = demoVaults.compliant.name;

test("a Check now that finds the key inaccessible says so, and the next one says it still is", async ({
  page,
  accounts,
}) => {
  test.setTimeout(120_000);
  const keyIdentifier = `https://${vault}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-2048`;
  const account = await accounts.createWithCustomerKey("checknow", { vault, keyIdentifier });
  const encryption = new EncryptionPage(page, account.name);
  await encryption.signIn(demoUsers.owner.upn);
  await expect(encryption.keyState).toHaveAttribute("data-state", "CustomerKey");

  await revokeKeyAccess(account.principalId!, vault, demoTenants.contoso.id);
  const checkNow = encryption.keyState.getByRole("button", { name: "Check now", exact: true });
  await checkNow.click();
  await expect(encryption.keyState.getByTestId("check-result")).toContainText("This check found the key inaccessible", {
    timeout: 30_000,
  });
  await expect(encryption.keyState).toHaveAttribute("data-state", "CustomerKeyInaccessible");
  await expect(encryption.keyState.locator(".badge")).toHaveText("Inaccessible");

  await page.reload();
  await encryption.keyState.getByRole("button", { name: "Check now", exact: true }).click();
  await expect(encryption.keyState.getByTestId("check-result")).toContainText("Still inaccessible", {
    timeout: 30_000,
  });
});
