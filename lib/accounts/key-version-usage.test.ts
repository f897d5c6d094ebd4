/**
 * Which versions of a customer key still wrap an account key: a pinned account stays on the old
 * version after a rotation, an unpinned one moves to the latest with the monitor's check, and only
 * accounts of subscriptions the caller may read are listed.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { keyVersionUsageFor, type KeyVersionUsage } from "@/lib/accounts/key-version-usage";
import { createAccountFor } from "@/lib/accounts/service";
import { demoAutomationApp, demoResourceGroup, demoSubscriptions, demoUsers, demoVaults } from "@/lib/demo/directory";
import { keyVersionsVisibleTo } from "@/lib/keyvault/user-keys";
import { checkAccount } from "@/lib/monitor/check";
import { claimAccount } from "@/lib/monitor/store";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

const owner = principalOf(demoUsers.owner);
const reader = principalOf(demoUsers.reader);
const outsider = principalOf(demoUsers.outsider);
const vault = demoVaults.compliant.name;
const keyName = "usage-key";
const fabrikamAccount = {
  subscriptionId: demoSubscriptions.fabrikamMedia.id,
  resourceGroup: demoResourceGroup,
  name: "fabrikamonkey",
};

let env: AppEnvironment;
let keyUrl: string;
let v1: string;
let v2: string;

/** Version → the names of the accounts it wraps, with (pinned) after a pinned one. */
const byVersion = (usage: KeyVersionUsage) =>
  Object.fromEntries(
    usage.versions.map((v) => [v.kid, v.accounts.map((a) => `${a.name}${a.pinned ? " (pinned)" : ""}`)]),
  );

before(async () => {
  env = await startAppEnvironment();
  await env.emu.grantKeys(vault, demoAutomationApp.objectId, ["get", "create", "rotate"]);
  const keys = env.emu.keyClient(vault);
  v1 = (await keys.createRsaKey(keyName, { keySize: 2048 })).id!;
  keyUrl = `${env.emu.vaultUrl(vault)}/keys/${keyName}`;
  await env.createCustomerKeyAccount(owner, "pinnedonv1", vault, v1);
  const follower = await env.createCustomerKeyAccount(owner, "followslatest", vault, keyUrl);

  v2 = (await keys.rotateKey(keyName)).id!;
  assert.ok(await claimAccount("test", follower.id, 60_000));
  assert.equal(
    (await checkAccount(follower.id, "test")).rewrappedTo,
    v2,
    "the monitor's check moved the unpinned account to v2",
  );

  // A Fabrikam account wrapped by v1, which Contoso's users may not read. A system-assigned identity
  // cannot use another tenant's vault (that takes a multi-tenant application, which the emulator does
  // not issue), so the binding's rows are written here as switchToCustomerKeyFor would write them.
  const other = await createAccountFor(outsider, {
    ...fabrikamAccount,
    location: "westus2",
    identityType: "SystemAssigned",
  });
  await env.database.db.mediaAccount.update({
    where: { id: other.id },
    data: { encryptionType: "CustomerKey", keyIdentifier: v1 },
  });
  await env.database.db.accountKey.update({ where: { accountId: other.id }, data: { wrappedBy: v1 } });
});
after(async () => env?.dispose());

describe("key version usage", () => {
  it("shows the pinned account on v1 and the unpinned one on v2, the latest, from the account keys and the identity's get", async () => {
    const usage = await keyVersionUsageFor(owner, contosoAccount("followslatest"));
    assert.equal(usage.keyIdentifier, keyUrl);
    assert.equal(usage.versionsFrom, "AccountKeys");
    assert.deepEqual(byVersion(usage), { [v2]: ["followslatest"], [v1]: ["pinnedonv1 (pinned)"] });
    assert.deepEqual(
      usage.versions.map((v) => v.latest),
      [true, false],
    );
    assert.equal(usage.versions[0]!.enabled, true, "the latest was read from Key Vault");
    assert.equal(usage.versions[1]!.enabled, null, "a version only the database knows: its state is not claimed");
  });

  it("lists every version from Key Vault as the signed-in user, with the same accounts", async () => {
    const token = await env.emu.userToken(demoUsers.owner, "https://vault.localhost");
    const usage = await keyVersionUsageFor(owner, contosoAccount("pinnedonv1"), (key) =>
      keyVersionsVisibleTo(token, key),
    );
    assert.equal(usage.versionsFrom, "KeyVault");
    assert.deepEqual(byVersion(usage), { [v2]: ["followslatest"], [v1]: ["pinnedonv1 (pinned)"] });
    assert.deepEqual(
      usage.versions.map((v) => [v.latest, v.enabled, v.created instanceof Date]),
      [
        [true, true, true],
        [false, true, true],
      ],
    );
  });

  it("falls back to the account keys when the user may not list the key's versions", async () => {
    const noAccessPolicy = await env.emu.userToken(demoUsers.outsider, "https://vault.localhost");
    const usage = await keyVersionUsageFor(owner, contosoAccount("pinnedonv1"), (key) =>
      keyVersionsVisibleTo(noAccessPolicy, key),
    );
    assert.equal(usage.versionsFrom, "AccountKeys");
    assert.deepEqual(byVersion(usage), { [v2]: ["followslatest"], [v1]: ["pinnedonv1 (pinned)"] });
  });

  it("lists only accounts of subscriptions the caller may read: Contoso's users never see the Fabrikam account on v1", async () => {
    for (const caller of [owner, reader]) {
      const usage = await keyVersionUsageFor(caller, contosoAccount("followslatest"));
      assert.deepEqual(byVersion(usage), { [v2]: ["followslatest"], [v1]: ["pinnedonv1 (pinned)"] }, caller.name);
    }
    assert.equal(
      await env.database.db.accountKey.count({ where: { wrappedBy: v1 } }),
      2,
      "v1 wraps the Fabrikam account too",
    );
    await assert.rejects(keyVersionUsageFor(outsider, contosoAccount("followslatest")), {
      code: "AuthorizationFailed",
    });
  });

  it("refuses an account on the system key", async () => {
    await createAccountFor(owner, { ...contosoAccount("systemonly"), location: "westus2", identityType: "None" });
    await assert.rejects(keyVersionUsageFor(owner, contosoAccount("systemonly")), { code: "InvalidRequestContent" });
  });
});
