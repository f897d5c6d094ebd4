import {
  demoAutomationApp,
  demoResourceGroup,
  demoSubscriptions,
  demoTenants,
  demoUsers,
  demoVaults,
} from "../lib/demo/directory";
import { automationClients, grantKeyAccess } from "./arm";
import { expect, test } from "./fixtures";
import { EncryptionPage } from "./pages/encryption-page";
import { e2eStack } from "./stack";
import { clientCredentialsToken } from "./tokens";

test("the key-version view shows a pinned account on the old version and an unpinned one on the latest, in the portal and the API", async ({
  page,
  request,
  accounts,
  uniqueName,
}) => {
  test.setTimeout(90_000);
  const vault = demoVaults.compliant.name;
  const keys = automationClients().keys(vault);
  const keyName = uniqueName("kvu-key");
  const keyIdentifier = `https://${vault}.vault.localhost:${e2eStack.emulatorPort}/keys/${keyName}`;
  await grantKeyAccess(demoAutomationApp.objectId, [vault], demoTenants.contoso.id, ["get", "create"]);
  const v1 = (await keys.createRsaKey(keyName, { keySize: 2048 })).properties.version!;
  const pinned = await accounts.createWithCustomerKey("kvupin", { vault, keyIdentifier: `${keyIdentifier}/${v1}` });
  const v2 = (await keys.createRsaKey(keyName, { keySize: 2048 })).properties.version!;
  const follower = await accounts.createWithCustomerKey("kvufollow", { vault, keyIdentifier });

  const encryption = new EncryptionPage(page, follower.name);
  await encryption.signIn(demoUsers.owner.upn);
  await expect(encryption.keyVersions.locator("tbody tr")).toHaveCount(2);
  await expect(encryption.keyVersion(v2)).toContainText("latest");
  await expect(encryption.accountOnVersion(v2, follower.name)).toHaveAttribute("data-pinned", "false");
  await expect(encryption.accountOnVersion(v1, pinned.name)).toHaveAttribute("data-pinned", "true");
  await expect(encryption.keyVersion(v1)).not.toContainText("latest");
  await expect(encryption.keyVersion(v1).locator("[data-account]")).toHaveCount(1);

  // The same, from the REST API: this service's own action; versions from the account keys and the latest.
  const token = await clientCredentialsToken(demoAutomationApp);
  const url = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${pinned.name}/listKeyVersionUsage?api-version=2023-01-01`;
  const res = await request.post(url, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body).toMatchObject({ keyIdentifier, versionsFrom: "AccountKeys" });
  expect(
    body.versions.map((v: { kid: string; latest: boolean; accounts: { name: string; pinned: boolean }[] }) => [
      v.kid.split("/").pop(),
      v.latest,
      v.accounts.map((a) => [a.name, a.pinned]),
    ]),
  ).toEqual([
    [v2, true, [[follower.name, false]]],
    [v1, false, [[pinned.name, true]]],
  ]);
});
