/**
 * Issue 13, "Granting the key to the account's identity": the portal shows the identity and
 * whether it may use the selected key, grants it as the signed-in user (an access policy, or the
 * role on the key of an RBAC vault), shows the Azure CLI command to a user who may not, and gives
 * an account without an identity one.
 */
import { randomUUID } from "node:crypto";
import {
  demoAutomationApp,
  demoPlatform,
  demoResourceGroup,
  demoSubscriptions,
  demoTenants,
  demoUsers,
  demoVaults,
} from "../lib/demo/directory";
import { armCall, automationClients } from "./arm";
import { expect, test } from "./fixtures";
import { AccountPage } from "./pages/account-page";
import { EncryptionPage } from "./pages/encryption-page";

// The first test of a worker also waits for the stack's first compilations and lib/ process.
test.describe.configure({ timeout: 90_000 });

const vaultsPath = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults`;

async function assignRole(scope: string, roleDefinitionId: string, principalId: string) {
  await armCall(
    "PUT",
    `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
    {
      properties: {
        roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionId}`,
        principalId,
      },
    },
    "2022-04-01",
  );
}

/** An RBAC vault with the keys cmk and other; `readers` may list its keys (Key Vault Reader), as in Azure. */
async function rbacVault(vault: string, readers: string[]) {
  await armCall("PUT", `${vaultsPath}/${vault}`, {
    location: "westus2",
    properties: {
      tenantId: demoTenants.contoso.id,
      sku: { family: "A", name: "standard" },
      accessPolicies: [],
      enableSoftDelete: true,
      enablePurgeProtection: true,
      enableRbacAuthorization: true,
    },
  });
  // Crypto Officer, to create the keys.
  await assignRole(`${vaultsPath}/${vault}`, "14b46e9e-c2b7-41b4-b07b-48a6ebf60603", demoAutomationApp.objectId);
  for (const reader of readers)
    await assignRole(`${vaultsPath}/${vault}`, "21090545-7ca7-4776-b22c-e363652d74d2", reader);
  const keys = automationClients().keys(vault);
  await keys.createRsaKey("cmk", { keySize: 3072 });
  await keys.createRsaKey("other", { keySize: 3072 });
}

test("the account page shows the identity's type and principal id, and Copy puts the id on the clipboard", async ({
  page,
  context,
  accounts,
}) => {
  const { name, principalId } = await accounts.create("idshow");
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const account = new AccountPage(page, name);
  await account.signIn(demoUsers.owner.upn);
  await expect(account.identity.getByTestId("identity-type")).toHaveText("System-assigned");
  await expect(account.identity.getByTestId("principal-id")).toHaveText(principalId!);
  await page.evaluate(() => navigator.clipboard.writeText("before the click"));
  await account.identity.getByRole("button", { name: /^Copy principal id/ }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(principalId);

  // The same on the encryption page, where the id is needed to grant access.
  const encryption = await account.openEncryption();
  await page.evaluate(() => navigator.clipboard.writeText("before the click"));
  await encryption.identity.getByRole("button", { name: /^Copy principal id/ }).click();
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(principalId);
});

test("the owner grants the identity an access policy from the encryption page, and the key then validates", async ({
  page,
  accounts,
}) => {
  const { name, principalId } = await accounts.create("grantap");
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.owner.upn);
  await expect(encryption.identity.getByTestId("principal-id")).toHaveText(principalId!);
  await encryption.pickVault(demoVaults.compliant.name);
  await encryption.pickKey("rsa-3072");
  await expect(encryption.keyAccess).toHaveAttribute("data-ok", "false");
  await expect(encryption.keyAccess).toContainText("lacks get, wrapKey, unwrapKey on the keys of contoso-byok");

  await encryption.grantAccess();
  await expect(encryption.keyAccess).toContainText("Granted: the identity may get, wrap and unwrap");
  await expect(encryption.keyAccess).toHaveAttribute("data-ok", "true");
  await encryption.validate();
  await expect(encryption.passedChecks()).toHaveCount(9);
});

test("on an RBAC vault the owner assigns Key Vault Crypto Service Encryption User on the key, and only that key", async ({
  page,
  accounts,
  uniqueName,
}) => {
  const vault = uniqueName("rbac");
  // The owner lists the vault's keys as themself (Key Vault Reader), as they would in Azure.
  await rbacVault(vault, [demoUsers.owner.objectId]);

  const { name } = await accounts.create("grantrbac");
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.owner.upn);
  await encryption.pickVault(vault);
  await encryption.pickKey("cmk");
  await expect(encryption.keyAccess).toContainText("has no role on the key cmk");
  await encryption.grantAccess();
  await expect(encryption.keyAccess).toContainText(
    "Granted: the identity has Key Vault Crypto Service Encryption User on cmk",
  );
  await expect(encryption.keyAccess).toHaveAttribute("data-ok", "true");
  await encryption.validate();
  await expect(encryption.passedChecks()).toHaveCount(9);

  await encryption.pickKey("other");
  await expect(encryption.keyAccess, "the role is on cmk, not on the vault").toHaveAttribute("data-ok", "false");
});

test("a reader, who may not grant, gets the exact Azure CLI command to send", async ({ page, accounts }) => {
  const { name, principalId } = await accounts.create("grantcli");
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.reader.upn);
  await encryption.pickVault(demoVaults.compliant.name);
  await expect(encryption.keyAccess.getByRole("button", { name: "Grant access" })).toHaveCount(0);
  await expect(encryption.grantCommand).toHaveText(
    `az keyvault set-policy --subscription ${demoSubscriptions.contosoMedia.id} --resource-group ${demoVaults.resourceGroup} --name ${demoVaults.compliant.name} --object-id ${principalId} --key-permissions get wrapKey unwrapKey`,
  );
  await expect(encryption.keyAccess.getByRole("button", { name: /^Copy the Azure CLI command/ })).toBeVisible();
});

test("a reader on an RBAC vault gets the exact role assignment command, scoped to the key", async ({
  page,
  accounts,
  uniqueName,
}) => {
  const vault = uniqueName("rbacread");
  await rbacVault(vault, [demoUsers.reader.objectId]);
  const { name, principalId } = await accounts.create("grantrbaccli");
  const encryption = new EncryptionPage(page, name);
  await encryption.signIn(demoUsers.reader.upn);
  await encryption.pickVault(vault);
  // A Reader's key field is off; the vault's first key is the one shown.
  await expect(encryption.form.getByLabel("Key", { exact: true })).toHaveValue("cmk");
  await expect(encryption.keyAccess.getByRole("button", { name: "Grant access" })).toHaveCount(0);
  await expect(encryption.grantCommand).toHaveText(
    `az role assignment create --role 'Key Vault Crypto Service Encryption User' --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --scope ${vaultsPath}/${vault}/keys/cmk`,
  );
});

test("an account without an identity gets a system-assigned one from the portal", async ({ page, accounts }) => {
  const { name } = await accounts.create("noid", { identityType: "None" });
  const account = new AccountPage(page, name);
  await account.signIn(demoUsers.owner.upn);
  await expect(account.identity).toContainText("None");
  await account.identity.getByRole("button", { name: "Add a system-assigned identity" }).click();
  await expect(account.identity.getByTestId("identity-type")).toHaveText("System-assigned");
  await expect(account.identity.getByTestId("principal-id")).toHaveText(/^[0-9a-f-]{36}$/);
});

test("an account without an identity gets a user-assigned one attached from the portal; an unknown one is refused, the id kept", async ({
  page,
  accounts,
  uniqueName,
}) => {
  // Two attach attempts, each asking ARM as the user; seen above 90 s on a loaded 2-core machine.
  test.setTimeout(150_000);
  const identityId = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${uniqueName("uami")}`;
  const created = (await armCall("PUT", identityId, { location: "westus2" })) as {
    properties: { principalId: string };
  };
  const { name } = await accounts.create("attach", { identityType: "None" });
  const account = new AccountPage(page, name);
  await account.signIn(demoUsers.owner.upn);
  const field = account.identity.getByLabel(/^User-assigned identity \(ARM id/);
  const attach = account.identity.getByRole("button", { name: "Attach identity" });

  const unknown = identityId.replace(/[^/]+$/, "nosuchidentity");
  await field.fill(unknown);
  await attach.click();
  await expect(account.identity.getByRole("alert")).toContainText("nosuchidentity", { timeout: 30_000 });
  await expect(field, "the refused id stays typed").toHaveValue(unknown);

  await field.fill(identityId);
  await attach.click();
  const attached = account.identity.locator(`li[data-identity="${identityId}"]`);
  await expect(attached.getByTestId("identity-type")).toHaveText(`User-assigned ${identityId.split("/").pop()}`, {
    timeout: 30_000,
  });
  await expect(attached.getByTestId("principal-id")).toHaveText(created.properties.principalId);

  const encryption = await account.openEncryption();
  await expect(encryption.form.getByLabel("Identity that reads the key")).toHaveValue(identityId);
});

test("attaching a user-assigned identity the user may not assign is refused with an alert, and the id stays typed", async ({
  page,
  accounts,
}) => {
  test.setTimeout(150_000);
  // The service's own identity, in the platform's subscription: the owner of Contoso holds no role there,
  // so ARM denies them its assign action (attaching it would lend the account the service's key rights).
  const identityId = `/subscriptions/${demoPlatform.subscription.id}/resourceGroups/${demoPlatform.subscription.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${demoPlatform.serviceIdentity.name}`;
  const { name } = await accounts.create("attachdenied", { identityType: "None" });
  const account = new AccountPage(page, name);
  await account.signIn(demoUsers.owner.upn);
  const field = account.identity.getByLabel(/^User-assigned identity \(ARM id/);
  await field.fill(identityId);
  await account.identity.getByRole("button", { name: "Attach identity" }).click();
  const alert = account.identity.getByRole("alert");
  await expect(alert).toContainText("does not have permission to perform action", { timeout: 30_000 });
  await expect(alert).toContainText("userAssignedIdentities/assign/action");
  await expect(field, "the refused id stays typed").toHaveValue(identityId);
  await page.reload();
  await expect(account.identity, "nothing was attached").toContainText("None");
  await expect(account.identity.locator(`li[data-identity="${identityId}"]`)).toHaveCount(0);
});
