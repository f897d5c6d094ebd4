/**
 * The azure profile's start-up checks, as an operator meets them: the real launcher and worker
 * processes, started against endpoints that are wrong or unreachable, must exit 1 within a bounded
 * time and name each one. Only loopback is used: closed ports on 127.0.0.1, a local server that
 * answers wrongly or not at all, and `*.localhost` names (which Node does not resolve here, and
 * which would be loopback where it does). No request leaves the machine.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { freePort } from "@/test/support/ports";
import { spawnScript } from "@/test/support/scripts";

/** Well above the checks' worst case (two 4 s probes in a row) and the process's own start-up. */
const BOUND_MS = 15_000;
const clientSecret = "portal-client-secret-value";
const dbPassword = "hunter2";

async function azureEnv(): Promise<Record<string, string>> {
  return {
    APP_PROFILE: "azure",
    DATABASE_URL: `postgresql://app:${dbPassword}@127.0.0.1:${await freePort()}/media`,
    PUBLIC_URL: "https://media.example.com",
    AZURE_TENANT_ID: "5f1b5c6e-4a3e-4d0f-9a7b-0c1d2e3f4a5b",
    AZURE_CLIENT_ID: "0c8e2f4a-6b1d-4c3e-9f5a-7b2d4e6f8a1c",
    AZURE_CLIENT_SECRET: clientSecret,
    SERVICE_IDENTITY_CLIENT_ID: "9f3c5b7a-1d4e-4f6a-8b8c-6d8e0f2a4b5c",
    SESSION_SECRET: "s".repeat(32),
  };
}

/** Runs a script to its end (or kills it at the bound) and returns its exit code, output and duration. */
async function run(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = Date.now();
  const { child, output: printed, exited } = spawnScript(script, env);
  const timer = setTimeout(() => child.kill("SIGKILL"), BOUND_MS + 5_000);
  const code = await exited;
  clearTimeout(timer);
  return { code, output: printed(), ms: Date.now() - started };
}

describe("APP_PROFILE=azure against unreachable or wrong endpoints", () => {
  /** Entra ID that knows no tenant, and an "ARM" that accepts connections and never answers. */
  let wrongEntra: http.Server;
  let silentArm: http.Server;
  before(async () => {
    wrongEntra = http.createServer((_req, res) => {
      res.writeHead(400, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: "invalid_tenant",
          error_description: "AADSTS90002: Tenant not found.",
          error_codes: [90002],
        }),
      );
    });
    silentArm = http.createServer(() => {});
    await Promise.all([wrongEntra, silentArm].map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", r))));
  });
  after(() => {
    silentArm.closeAllConnections();
    wrongEntra.close();
    silentArm.close();
  });
  const url = (server: http.Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  it("the launcher exits 1 within the bound, naming the database, Entra ID, ARM, the managed identity endpoint and the system key", async () => {
    const { code, output, ms } = await run("scripts/launch.ts", {
      ...(await azureEnv()),
      AZURE_AUTHORITY_HOST: "https://login.localhost",
      ARM_ENDPOINT: `https://127.0.0.1:${await freePort()}`,
      KEYVAULT_DNS_SUFFIXES: ".vault.localhost",
      SYSTEM_KEY_ID: "https://service.vault.localhost/keys/system",
      IDENTITY_ENDPOINT: `http://127.0.0.1:${await freePort()}/msi/token`,
      IDENTITY_HEADER: "identity-header-value",
    });
    assert.equal(code, 1, output);
    assert.ok(ms < BOUND_MS, `took ${ms} ms`);
    assert.match(output, /Azure is not reachable as configured for APP_PROFILE=azure/);
    assert.match(output, /- DATABASE_URL \(127\.0\.0\.1:\d+\/media\): connection refused \(ECONNREFUSED\)/);
    assert.match(
      output,
      /- AZURE_AUTHORITY_HOST \(https:\/\/login\.localhost\): OIDC discovery failed: the host name does not resolve/,
    );
    assert.match(output, /- ARM_ENDPOINT \(https:\/\/127\.0\.0\.1:\d+\): connection refused/);
    assert.match(output, /- IDENTITY_ENDPOINT \(http:\/\/127\.0\.0\.1:\d+\/msi\/token\): connection refused/);
    assert.match(
      output,
      /- SYSTEM_KEY_ID \(https:\/\/service\.vault\.localhost\/keys\/system\): Key Vault unreachable/,
    );
    assert.doesNotMatch(output, /migrations|\[start\] ready/, "nothing starts before the checks pass");
    for (const secret of [dbPassword, clientSecret, "identity-header-value"])
      assert.ok(!output.includes(secret), `output shows ${secret}`);
  });

  it("the worker exits 1 within the bound on a silent ARM, an unknown tenant, no managed identity endpoint and a system key outside the vault suffixes", async () => {
    const { code, output, ms } = await run("scripts/worker.ts", {
      ...(await azureEnv()),
      AZURE_AUTHORITY_HOST: url(wrongEntra),
      ARM_ENDPOINT: url(silentArm),
      SYSTEM_KEY_ID: "https://service.vault.localhost/keys/system",
    });
    assert.equal(code, 1, output);
    assert.ok(ms < BOUND_MS, `took ${ms} ms`);
    assert.match(output, /- ARM_ENDPOINT \(http:\/\/127\.0\.0\.1:\d+\): no answer within 4 s/);
    assert.match(
      output,
      /- AZURE_TENANT_ID \(5f1b5c6e-4a3e-4d0f-9a7b-0c1d2e3f4a5b\): http:\/\/127\.0\.0\.1:\d+ has no OIDC discovery for this tenant \(HTTP 400 invalid_tenant AADSTS90002\)/,
    );
    assert.match(output, /- IDENTITY_ENDPOINT: not set/);
    assert.match(
      output,
      /- SYSTEM_KEY_ID \(https:\/\/service\.vault\.localhost\/keys\/system\): 'service\.vault\.localhost' is not a Key Vault this service may call/,
    );
    assert.match(output, /- DATABASE_URL /);
    assert.doesNotMatch(output, /worker started|\[monitor\]|\[jobs\]/, "the worker never starts its loops");
  });
});
