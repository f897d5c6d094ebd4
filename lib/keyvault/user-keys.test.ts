/**
 * The key picker's listing, as the signed-in user's Key Vault token reads it from the emulator:
 * the same key facts as the service's own reads, and Key Vault's refusals in this service's words.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoAutomationApp, demoVaults } from "@/lib/demo/directory";
import { DomainError } from "@/lib/errors";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { keysVisibleTo } from "./user-keys";

let env: AppEnvironment;
let token: string;
const vault = "contoso-picker";

before(async () => {
  env = await startAppEnvironment();
  const arm = env.emu.arm();
  await arm.vaults.beginCreateOrUpdateAndWait(demoVaults.resourceGroup, vault, {
    location: "westus2",
    properties: {
      tenantId: demoAutomationApp.tenantId,
      sku: { family: "A", name: "standard" },
      enablePurgeProtection: true,
      accessPolicies: [],
    },
  });
  await env.emu.grantKeys(vault, demoAutomationApp.objectId, ["create", "get", "list"]);
  const keys = env.emu.keyClient(vault);
  await keys.createRsaKey("rsa", { keySize: 2048 });
  await keys.createRsaKey("rsa", { keySize: 2048 });
  await keys.createRsaKey("big", { keySize: 4096, enabled: false });
  await keys.createEcKey("ec", { curve: "P-256" });
  token = (await env.emu.automation.getToken("https://vault.localhost/.default"))!.token;
});
after(async () => env?.dispose());

describe("keys visible to a user", () => {
  it("lists every key by name with its type, RSA size, state and versions newest first", async () => {
    const keys = await keysVisibleTo(token, `${env.emu.vaultUrl(vault)}/`);
    assert.deepEqual(
      keys.map(({ name, kty, size, curve, enabled, versions }) => ({
        name,
        kty,
        size,
        curve,
        enabled,
        versions: versions.length,
      })),
      [
        { name: "big", kty: "RSA", size: 4096, curve: undefined, enabled: false, versions: 1 },
        { name: "ec", kty: "EC", size: undefined, curve: "P-256", enabled: true, versions: 1 },
        { name: "rsa", kty: "RSA", size: 2048, curve: undefined, enabled: true, versions: 2 },
      ],
    );
    const [newer, older] = keys.find((k) => k.name === "rsa")!.versions;
    assert.ok(newer!.created!.getTime() >= older!.created!.getTime(), "newest version first");
  });

  it("answers a refused listing with a domain error, not the SDK's", async () => {
    await env.emu.revokeKeys(vault, demoAutomationApp.objectId);
    await assert.rejects(
      keysVisibleTo(token, env.emu.vaultUrl(vault)),
      (err) => err instanceof DomainError && err.code === "KeyVaultAccessDenied",
    );
  });

  it("calls no host outside the configured vault suffixes", async () => {
    await assert.rejects(
      keysVisibleTo(token, "https://evil.example.com"),
      (err) => err instanceof DomainError && err.code === "KeyVaultHostNotAllowed",
    );
  });
});
