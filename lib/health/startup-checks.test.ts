/**
 * The azure profile's start-up checks against endpoints that answer as Azure does: the emulator's
 * Entra ID, ARM, managed identity endpoint and Key Vault, reached through the app's own transport,
 * and a real database. They must find nothing wrong there (a false alarm would stop a healthy
 * deployment), and name the variable behind each wrong answer. scripts/azure-startup.test.ts
 * covers unreachable endpoints with the real processes.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestEmulator, type TestEmulator } from "@/emulator/test-support";
import { loadConfig, type AppConfig } from "@/lib/config";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { issueSystemAssignedIdentity } from "@/lib/azure/managed-identities";
import { demoResourceGroup, demoSubscriptions, demoTenants } from "@/lib/demo/directory";
import { azureStartupProblems } from "./startup-checks";

let emu: TestEmulator;
let database: TestDatabase;
let dataDir: string;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "byok-startup-"));
  emu = await startTestEmulator({ dataDir: path.join(dataDir, "emulator") });
  // The local profile's endpoints and transport lead to the emulator; the checks are the azure profile's.
  Object.assign(process.env, { APP_PROFILE: "local", DATA_DIR: dataDir, EMULATOR_PORT: String(emu.port) });
  database = await createTestDatabase({ forApp: true });
});

after(async () => {
  await database?.drop();
  await emu?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

/** The configuration of a deployment whose Azure is the emulator, with the platform's managed identity endpoint. */
function deployment(change: (config: AppConfig) => Partial<AppConfig> = () => ({})): AppConfig {
  const config: AppConfig = {
    ...loadConfig(),
    managedIdentity: { endpoint: emu.identityEndpoint, header: emu.identityHeader },
  };
  return { ...config, ...change(config) };
}

describe("azure start-up checks against endpoints that answer", () => {
  it("find nothing wrong when Entra ID, ARM, the managed identity, the system key and the database answer as Azure does", async () => {
    assert.deepEqual(await azureStartupProblems(deployment()), []);
  });

  it("name AZURE_CLIENT_SECRET when Entra ID refuses the portal app's secret, without showing it", async () => {
    const problems = await azureStartupProblems(
      deployment((c) => ({ auth: { ...c.auth, clientSecret: "a-wrong-secret-value" } })),
    );
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0]!,
      /^AZURE_CLIENT_SECRET: Entra ID refused the portal app's credentials \(HTTP 401 invalid_client AADSTS7000215\)$/,
    );
  });

  it("name AZURE_CLIENT_ID when the app is not registered in AZURE_TENANT_ID", async () => {
    const problems = await azureStartupProblems(
      deployment((c) => ({ auth: { ...c.auth, tenantId: demoTenants.fabrikam.id } })),
    );
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0]!,
      /^AZURE_CLIENT_ID: Entra ID refused the portal app's credentials \(HTTP 400 invalid_request AADSTS700016\)$/,
    );
  });

  it("name SYSTEM_KEY_ID when the key cannot wrap (an EC key), and the service identity when it may not read the key", async () => {
    // An identity of the vault's own tenant, as the platform's identity provider issues one.
    const identity = await issueSystemAssignedIdentity(
      `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/startupcheck`,
    );
    const ecKey = `${emu.vaultUrl("contoso-byok")}/keys/ec-p256`;
    const withKey = (keyId: string) =>
      deployment(() => ({ systemKey: { keyId, identityClientId: identity.clientId } }));
    await emu.grantKeys("contoso-byok", identity.principalId);
    assert.deepEqual(await azureStartupProblems(withKey(`${emu.vaultUrl("contoso-byok")}/keys/rsa-hsm-3072`)), []);
    assert.deepEqual(await azureStartupProblems(withKey(ecKey)), [
      `SYSTEM_KEY_ID (${ecKey}): it is EC, not RSA; it does not permit wrapKey and unwrapKey`,
    ]);

    await emu.revokeKeys("contoso-byok", identity.principalId);
    const denied = await azureStartupProblems(withKey(ecKey));
    assert.equal(denied.length, 1, denied.join("\n"));
    assert.match(
      denied[0]!,
      new RegExp(
        `^SERVICE_IDENTITY_CLIENT_ID \\(${identity.clientId}\\) may not read SYSTEM_KEY_ID .*\\(HTTP 403 Forbidden\\)`,
      ),
    );
  });

  it("name SERVICE_IDENTITY_CLIENT_ID when the managed identity endpoint has no such identity", async () => {
    const problems = await azureStartupProblems(
      deployment((c) => ({ systemKey: { ...c.systemKey, identityClientId: "00000000-0000-4000-8000-000000000001" } })),
    );
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(
      problems[0]!,
      /^SERVICE_IDENTITY_CLIENT_ID \(00000000-0000-4000-8000-000000000001\): the managed identity endpoint gives no token for it \(HTTP 400\)/,
    );
  });
});
