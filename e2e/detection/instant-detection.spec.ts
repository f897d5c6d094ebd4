/**
 * Instant detection in Chromium, on a stack whose monitor checks every 60 s (its default): the
 * owner turns on Key Vault's events on the encryption page; removing the account identity's
 * access policy then shows the account inaccessible on the dashboard in under 10 s and refuses
 * its content key to a player; restoring the policy brings it back in under 10 s. Without events
 * either would wait for the next poll, up to a minute.
 */
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { demoResourceGroup, demoTenants, demoUsers, demoVaults } from "../../lib/demo/directory";
import { automationClients, grantKeyAccess, revokeKeyAccess, symmetricTokenPolicy } from "../arm";
import { expect, test } from "../fixtures";
import { DashboardPage } from "../pages/dashboard-page";
import { EncryptionPage } from "../pages/encryption-page";
import { e2eStack } from "../stack";

const KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";
const issuer = "https://sts.contoso.localhost";
const audience = "urn:contoso:player";
const vault = demoVaults.compliant.name;

test("with events and a 60 s interval, a removed access policy shows on the dashboard and stops key delivery in under 10 s, and restoring it recovers in under 10 s", async ({
  page,
  accounts,
  uniqueName,
}) => {
  test.setTimeout(120_000);
  const keyIdentifier = `https://${vault}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-2048`;
  const account = await accounts.createWithCustomerKey("instant", { vault, keyIdentifier });
  const media = automationClients().media;
  const tokenKey = randomBytes(32);
  const name = uniqueName("locator");
  await media.assets.createOrUpdate(demoResourceGroup, account.name, name, {});
  await media.contentKeyPolicies.createOrUpdate(
    demoResourceGroup,
    account.name,
    name,
    symmetricTokenPolicy({ issuer, audience, keyValue: tokenKey }),
  );
  await media.streamingLocators.create(demoResourceGroup, account.name, name, {
    assetName: name,
    streamingPolicyName: "Predefined_ClearKey",
    defaultContentKeyPolicyName: name,
  });
  const kid = (await media.streamingLocators.listContentKeys(demoResourceGroup, account.name, name)).contentKeys![0]!
    .id;
  const { mediaServiceId } = await media.mediaservices.get(demoResourceGroup, account.name);
  /**
   * The player's key request, from the page (as a player's fetch would be), to the key-delivery
   * listener that manifests name (a process of its own, KEY_DELIVERY_PORT, another origin than the
   * portal's): the webhook's check commits in the portal, so a refusal there crossed processes.
   */
  const keyStatus = async () => {
    const jwt = await new SignJWT({ [KID_CLAIM]: kid })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("10m")
      .sign(tokenKey);
    return page.evaluate(
      async ([url, token]) => (await fetch(url!, { headers: { authorization: `Bearer ${token}` } })).status,
      [`http://localhost:${e2eStack.keyDeliveryPort}/keydelivery/${mediaServiceId}?kid=${kid}`, jwt],
    );
  };

  const encryption = new EncryptionPage(page, account.name);
  await encryption.signIn(demoUsers.owner.upn);
  const section = page.getByRole("region", { name: "Instant detection" });
  await expect(section.getByTestId("instant-detection-status")).toContainText("no events yet");
  await section.getByRole("button", { name: "Turn on instant detection" }).click();
  await expect(section.getByTestId("instant-detection-result")).toContainText("Instant detection is on", {
    timeout: 60_000,
  });
  await expect(section.getByTestId("instant-detection-commands")).toContainText("az eventgrid system-topic");

  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  const row = dashboard.row(account.name);
  await expect(row.locator).toHaveAttribute("data-state", "CustomerKey");
  expect(await keyStatus(), "the key is served while the account is active").toBe(200);

  const removedAt = Date.now();
  await revokeKeyAccess(account.principalId!, vault, demoTenants.contoso.id);
  await expect(row.locator).toHaveAttribute("data-state", "CustomerKeyInaccessible", { timeout: 10_000 });
  expect(Date.now() - removedAt).toBeLessThan(10_000);
  // The dashboard gives the reason in words, with its code as data-reason.
  await expect(row.stateReason).toHaveAttribute("data-reason", "KeyVaultAccessDenied");
  await expect(row.stateReason).toContainText("managed identity may not");
  // Key delivery runs in a process of its own: it refuses once the change reaches it (p95 ≤ 1 s),
  // with 401 here: the policy's symmetric token key is sealed under the account key it cannot open.
  await expect
    .poll(keyStatus, { timeout: 5_000, message: "the key is refused once the account is inaccessible" })
    .not.toBe(200);
  expect([401, 403], "a refusal, not an error").toContain(await keyStatus());
  expect(Date.now() - removedAt, "the listener refuses within 10 s of the removal").toBeLessThan(10_000);

  const restoredAt = Date.now();
  await grantKeyAccess(account.principalId!, [vault], demoTenants.contoso.id);
  await expect(row.locator).toHaveAttribute("data-state", "CustomerKey", { timeout: 10_000 });
  expect(Date.now() - restoredAt).toBeLessThan(10_000);
  await expect.poll(keyStatus, { timeout: 5_000, message: "served again" }).toBe(200);
  expect(Date.now() - restoredAt, "the listener serves again within 10 s of the restore").toBeLessThan(10_000);

  await encryption.goto();
  await expect(section.getByTestId("instant-detection-status")).toContainText("events flowing");
});
