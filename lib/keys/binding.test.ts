/**
 * Every refusal of a customer-key binding, each produced by a real situation in the emulator,
 * through the app's own code path (managed identity, Key Vault and ARM over HTTPS).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { switchToCustomerKeyFor, validateCustomerKeyFor } from "@/lib/accounts/encryption";
import { createAccountFor } from "@/lib/accounts/service";
import { demoAutomationApp, demoTenants, demoUsers, demoVaults } from "@/lib/demo/directory";
import type { VaultLookup } from "@/lib/keys/binding";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

let env: AppEnvironment;
const owner = principalOf(demoUsers.owner);
const tenantId = demoTenants.contoso.id;
const ref = contosoAccount;
let lookup: VaultLookup;
let keyUrl: (vault: string, key: string, version?: string) => string;

before(async () => {
  env = await startAppEnvironment();
  keyUrl = (vault, key, version) => `${env.emu.vaultUrl(vault)}/keys/${key}${version ? `/${version}` : ""}`;
  const account = await createAccountFor(owner, {
    ...ref("bindingtest"),
    location: "westus2",
    identityType: "SystemAssigned",
  });
  await createAccountFor(owner, { ...ref("noidentity"), location: "westus2", identityType: "None" });
  await createAccountFor(owner, { ...ref("noaccess"), location: "westus2", identityType: "SystemAssigned" });
  const arm = env.emu.arm();
  await arm.vaults.beginCreateOrUpdateAndWait(demoVaults.resourceGroup, "nosoftdelete", {
    location: "westus2",
    properties: { tenantId, sku: { family: "A", name: "standard" }, enableSoftDelete: false, accessPolicies: [] },
  });
  await arm.vaults.beginCreateOrUpdateAndWait(demoVaults.resourceGroup, "getonly", {
    location: "westus2",
    properties: { tenantId, sku: { family: "A", name: "standard" }, enablePurgeProtection: true, accessPolicies: [] },
  });
  for (const vault of [
    demoVaults.compliant.name,
    demoVaults.noPurgeProtection.name,
    demoVaults.otherRegion.name,
    "nosoftdelete",
  ]) {
    await env.emu.grantKeys(vault, account.principalId!);
  }
  await env.emu.grantKeys("getonly", account.principalId!, ["get"]);
  for (const vault of [demoVaults.compliant.name, "nosoftdelete", "getonly"]) {
    await env.emu.grantKeys(vault, demoAutomationApp.objectId, ["create", "update", "get"]);
  }
  const keys = env.emu.keyClient(demoVaults.compliant.name);
  await keys.createRsaKey("disabled", { keySize: 2048, enabled: false });
  await keys.createRsaKey("expired", { keySize: 2048, expiresOn: new Date(Date.now() - 60_000) });
  await keys.createRsaKey("future", { keySize: 2048, notBefore: new Date(Date.now() + 3_600_000) });
  await keys.createRsaKey("encrypt-only", { keySize: 2048, keyOps: ["encrypt", "decrypt"] });
  await env.emu.keyClient("nosoftdelete").createRsaKey("k", { keySize: 2048 });
  await env.emu.keyClient("getonly").createRsaKey("k", { keySize: 2048 });
  lookup = await env.vaultLookup();
});
after(async () => env?.dispose());

async function outcome(keyIdentifier: string, account = "bindingtest", vaultLookup = lookup) {
  const result = await validateCustomerKeyFor(
    owner,
    ref(account),
    { keyIdentifier, userAssignedIdentity: null },
    vaultLookup,
  );
  return { ok: result.ok, code: result.ok ? undefined : result.failure.code, checks: result.checks };
}

describe("customer key validation", () => {
  it("passes all nine checks for a compliant RSA key, versionless or pinned", async () => {
    const latest = await outcome(keyUrl(demoVaults.compliant.name, "rsa-3072"));
    assert.equal(latest.ok, true, JSON.stringify(latest.checks));
    assert.equal(latest.checks.filter((c) => c.ok === true).length, 9);
    const version = (await env.emu.keyClient(demoVaults.compliant.name).getKey("rsa-hsm-3072")).properties.version!;
    assert.equal(
      (await outcome(keyUrl(demoVaults.compliant.name, "rsa-hsm-3072", version))).ok,
      true,
      "RSA-HSM, pinned version",
    );
  });

  const refusals: [string, () => string, string, ((() => Promise<unknown>) | undefined)?][] = [
    ["a host outside the vault suffixes", () => "https://evil.example/keys/x", "KeyVaultHostNotAllowed"],
    [
      "a path that is not a key",
      () => keyUrl(demoVaults.compliant.name, "x").replace("/keys/", "/secrets/"),
      "InvalidKeyIdentifier",
    ],
    ["a vault that does not exist", () => keyUrl("no-such-vault", "rsa-2048"), "VaultNotFound"],
    ["a key that does not exist", () => keyUrl(demoVaults.compliant.name, "missing"), "KeyNotFound"],
    ["a disabled key", () => keyUrl(demoVaults.compliant.name, "disabled"), "KeyDisabled"],
    ["an expired key", () => keyUrl(demoVaults.compliant.name, "expired"), "KeyExpired"],
    ["a key not valid yet", () => keyUrl(demoVaults.compliant.name, "future"), "KeyNotYetValid"],
    ["an EC key", () => keyUrl(demoVaults.compliant.name, "ec-p256"), "KeyTypeNotSupported"],
    [
      "a key without wrap/unwrap operations",
      () => keyUrl(demoVaults.compliant.name, "encrypt-only"),
      "KeyOperationsNotAllowed",
    ],
    ["a vault without soft delete", () => keyUrl("nosoftdelete", "k"), "SoftDeleteNotEnabled"],
    [
      "a vault without purge protection",
      () => keyUrl(demoVaults.noPurgeProtection.name, "rsa-2048"),
      "PurgeProtectionNotEnabled",
    ],
    ["a vault in another region", () => keyUrl(demoVaults.otherRegion.name, "rsa-2048"), "VaultRegionMismatch"],
    ["an identity with get but not wrap/unwrap", () => keyUrl("getonly", "k"), "KeyVaultAccessDenied"],
  ];
  for (const [label, keyIdentifier, code] of refusals) {
    it(`refuses ${label} with ${code}`, async () => {
      const result = await outcome(keyIdentifier());
      assert.equal(result.ok, false);
      assert.equal(result.code, code, JSON.stringify(result.checks.filter((c) => c.ok === false)));
      const failing = result.checks.find((c) => c.code === code)!;
      assert.ok(failing.message.length > 20, "a message that says how to fix it");
    });
  }

  it("refuses a vault the caller cannot see (VaultNotVisible) and an account without identity (IdentityNotConfigured)", async () => {
    assert.equal(
      (await outcome(keyUrl(demoVaults.compliant.name, "rsa-3072"), "bindingtest", async () => null)).code,
      "VaultNotVisible",
    );
    assert.equal(
      (await outcome(keyUrl(demoVaults.compliant.name, "rsa-3072"), "noidentity")).code,
      "IdentityNotConfigured",
    );
  });

  it("tells what the vault's metadata says before, and without, access to the key", async () => {
    const nopurge = await outcome(keyUrl(demoVaults.noPurgeProtection.name, "rsa-2048"), "noaccess");
    assert.equal(nopurge.code, "PurgeProtectionNotEnabled", "the vault can never be used: said first");
    const byId = (r: typeof nopurge, id: string) => r.checks.find((c) => c.id === id)!;
    assert.equal(byId(nopurge, "recovery").ok, false);
    assert.equal(byId(nopurge, "region").ok, true);
    assert.equal(byId(nopurge, "key").ok, false, "and the missing access, too");
    const eastus = await outcome(keyUrl(demoVaults.otherRegion.name, "rsa-2048"), "noaccess");
    assert.equal(eastus.code, "VaultRegionMismatch");
    assert.equal(byId(eastus, "region").ok, false);
    assert.deepEqual(
      eastus.checks.map((c) => c.id),
      ["identity", "identifier", "recovery", "region", "key", "enabled", "type", "operations", "access"],
    );
  });

  it("does not advise wrapKey and unwrapKey for a key type that cannot wrap", async () => {
    const ec = await outcome(keyUrl(demoVaults.compliant.name, "ec-p256"));
    assert.equal(ec.code, "KeyTypeNotSupported");
    assert.deepEqual(
      ec.checks.filter((c) => c.ok === false).map((c) => c.id),
      ["type"],
      JSON.stringify(ec.checks),
    );
    assert.doesNotMatch(JSON.stringify(ec.checks), /add them to its permitted operations/);
  });

  it("changes nothing when a switch fails validation", async () => {
    const before = await env.database.db.accountKey.findFirstOrThrow({ where: { account: { name: "bindingtest" } } });
    const result = await switchToCustomerKeyFor(
      owner,
      ref("bindingtest"),
      { keyIdentifier: keyUrl(demoVaults.compliant.name, "ec-p256"), userAssignedIdentity: null },
      lookup,
    );
    assert.equal(result.ok, false);
    const afterRow = await env.database.db.accountKey.findFirstOrThrow({ where: { account: { name: "bindingtest" } } });
    assert.deepEqual(afterRow, before);
    const account = await env.database.db.mediaAccount.findFirstOrThrow({ where: { name: "bindingtest" } });
    assert.equal(account.encryptionType, "SystemKey");
    assert.equal(account.version, 1);
  });

  it("refuses a reader before any Key Vault call", async () => {
    const reader = principalOf(demoUsers.reader);
    await env.emu.admin("POST", "reset");
    await assert.rejects(
      validateCustomerKeyFor(
        reader,
        ref("bindingtest"),
        { keyIdentifier: keyUrl(demoVaults.compliant.name, "rsa-3072"), userAssignedIdentity: null },
        lookup,
      ),
      (err: Error & { code?: string }) => err.code === "AuthorizationFailed",
    );
    assert.deepEqual(((await env.emu.admin("GET", "counters")).json as Record<string, unknown>).keyvault, undefined);
  });
});
