import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "./config";

const azureEnv = {
  APP_PROFILE: "azure",
  DATABASE_URL: "postgresql://app@db.example.com:5432/media",
  PUBLIC_URL: "https://media.example.com",
  AZURE_TENANT_ID: "5f1b5c6e-4a3e-4d0f-9a7b-0c1d2e3f4a5b",
  AZURE_CLIENT_ID: "0c8e2f4a-6b1d-4c3e-9f5a-7b2d4e6f8a1c",
  AZURE_CLIENT_SECRET: "not-a-real-secret",
  SYSTEM_KEY_ID: "https://service.vault.azure.net/keys/system",
  SERVICE_IDENTITY_CLIENT_ID: "9f3c5b7a-1d4e-4f6a-8b8c-6d8e0f2a4b5c",
  SESSION_SECRET: "x".repeat(32),
};

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail("expected a ConfigError");
}

describe("loadConfig", () => {
  it("lets jobs fetch from private networks only in the local profile, whatever the azure environment says", () => {
    assert.equal(loadConfig({}).jobs.allowPrivateNetworks, true);
    assert.equal(loadConfig({ JOB_INPUT_ALLOW_PRIVATE_NETWORKS: "false" }).jobs.allowPrivateNetworks, false);
    assert.equal(
      loadConfig({ ...azureEnv, JOB_INPUT_ALLOW_PRIVATE_NETWORKS: "true" }).jobs.allowPrivateNetworks,
      false,
    );
    assert.deepEqual(loadConfig({ JOB_INPUT_MAX_BYTES: "1024", JOB_INPUT_TIMEOUT_SECONDS: "2" }).jobs, {
      pollIntervalMs: 2000,
      concurrency: 2,
      inputMaxBytes: 1024,
      inputTimeoutMs: 2000,
      allowPrivateNetworks: true,
      ffmpegPath: null,
    });
    assert.match(errorOf({ JOB_INPUT_MAX_BYTES: "lots" }), /JOB_INPUT_MAX_BYTES/);
  });

  it("caps REST API bodies at ARM's 4 MiB unless API_MAX_BODY_BYTES says otherwise", () => {
    assert.equal(loadConfig({}).apiMaxBodyBytes, 4 * 1024 * 1024);
    assert.equal(loadConfig({ API_MAX_BODY_BYTES: "65536" }).apiMaxBodyBytes, 65536);
    assert.match(errorOf({ API_MAX_BODY_BYTES: "12" }), /API_MAX_BODY_BYTES/);
  });

  it("defaults to the local profile with the embedded database under DATA_DIR", () => {
    const config = loadConfig({});
    assert.equal(config.profile, "local");
    assert.equal(config.port, 3000);
    assert.equal(config.database.url, "postgresql://postgres@127.0.0.1:54329/postgres");
    assert.deepEqual(config.database.embedded, { port: 54329, dir: path.resolve(".data/pglite") });
    assert.equal(config.auth.tenantId, "5f1b5c6e-4a3e-4d0f-9a7b-0c1d2e3f4a5b");
    assert.deepEqual(config.emulator, { port: 8443, identityPort: 8444, dir: path.resolve(".data/emulator") });
    assert.deepEqual(config.endpoints, {
      authorityHost: "https://localhost:8443",
      armEndpoint: "https://localhost:8443",
      keyVaultDnsSuffixes: [".vault.localhost"],
      keyVaultResource: "https://vault.localhost",
      extraCaFile: path.resolve(".data/emulator/tls/ca.pem"),
    });
  });

  it("uses a PostgreSQL server instead of PGlite when DATABASE_URL is set locally", () => {
    const config = loadConfig({ DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/media", EMBEDDED_DB_PORT: "1" });
    assert.equal(config.database.url, "postgresql://postgres@127.0.0.1:5432/media");
    assert.equal(config.database.embedded, null);
  });

  it("coerces numbers and names a bad one", () => {
    assert.equal(loadConfig({ PORT: "8080" }).port, 8080);
    assert.match(errorOf({ PORT: "eighty" }), /- PORT: /);
    assert.match(errorOf({ PORT: "70000" }), /- PORT: /);
  });

  it("names a DATABASE_URL that is not a PostgreSQL URL", () => {
    assert.match(errorOf({ DATABASE_URL: "mysql://db/x" }), /- DATABASE_URL: must be a postgresql:\/\//);
    assert.match(
      errorOf({ ...azureEnv, DATABASE_URL: "not a url" }),
      /APP_PROFILE=azure[\s\S]*- DATABASE_URL: must be/,
    );
  });

  it("names every missing variable of the azure profile", () => {
    const message = errorOf({ APP_PROFILE: "azure" });
    for (const name of [
      "DATABASE_URL",
      "PUBLIC_URL",
      "AZURE_TENANT_ID",
      "AZURE_CLIENT_ID",
      "AZURE_CLIENT_SECRET",
      "SYSTEM_KEY_ID",
      "SERVICE_IDENTITY_CLIENT_ID",
      "SESSION_SECRET",
    ]) {
      assert.match(message, new RegExp(`- ${name}: is required`));
    }
    assert.doesNotMatch(message, /ARM_ENDPOINT|KEYVAULT_DNS_SUFFIXES/, "variables with defaults are not required");
  });

  it("accepts a complete azure profile with Azure's public-cloud defaults", () => {
    const config = loadConfig(azureEnv);
    assert.equal(config.profile, "azure");
    assert.equal(config.database.embedded, null);
    assert.equal(config.emulator, null);
    assert.deepEqual(config.endpoints, {
      authorityHost: "https://login.microsoftonline.com",
      armEndpoint: "https://management.azure.com",
      keyVaultDnsSuffixes: [".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net"],
      keyVaultResource: "https://vault.azure.net",
      extraCaFile: null,
    });
    assert.deepEqual(
      loadConfig({ ...azureEnv, KEYVAULT_DNS_SUFFIXES: " .vault.azure.net , .vault.example " }).endpoints
        .keyVaultDnsSuffixes,
      [".vault.azure.net", ".vault.example"],
    );
  });

  it("refuses a PUBLIC_URL that is not https in the azure profile", () => {
    assert.match(
      errorOf({ ...azureEnv, PUBLIC_URL: "http://media.example.com" }),
      /- PUBLIC_URL: must be an https:\/\/ URL/,
    );
    assert.equal(loadConfig(azureEnv).publicUrl, "https://media.example.com");
  });

  it("accepts bearer tokens for the App ID URI by default, never the bare client id that ID tokens carry", () => {
    assert.deepEqual(loadConfig(azureEnv).auth.apiAudiences, [`api://${azureEnv.AZURE_CLIENT_ID}`]);
    assert.deepEqual(
      loadConfig({ ...azureEnv, API_AUDIENCES: `api://x, ${azureEnv.AZURE_CLIENT_ID}` }).auth.apiAudiences,
      ["api://x", azureEnv.AZURE_CLIENT_ID],
    );
  });

  it("refuses an unknown profile and a short session secret without echoing its value", () => {
    assert.match(errorOf({ APP_PROFILE: "staging" }), /APP_PROFILE/);
    const message = errorOf({ ...azureEnv, SESSION_SECRET: "short-secret-value" });
    assert.match(message, /- SESSION_SECRET: must be at least 32 characters/);
    assert.doesNotMatch(message, /short-secret-value/);
  });
});
