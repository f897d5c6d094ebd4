/**
 * Starts an emulator for one test file (fresh data dir, free ports, test controls on) and builds
 * the official Azure clients against it, configured exactly as the app configures them locally.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type https from "node:https";
import os from "node:os";
import path from "node:path";
import { KeyVaultManagementClient } from "@azure/arm-keyvault";
import type { TokenCredential } from "@azure/core-auth";
import { ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import { CryptographyClient, KeyClient } from "@azure/keyvault-keys";
import { httpsRequest } from "@/lib/azure/https-request";
import { localAzureAgent } from "@/lib/azure/local-agent";
import { demoAutomationApp, demoSubscriptions, demoTenants, demoVaults } from "@/lib/demo/directory";
import type { JWK } from "jose";
import { startEmulator, type EmulatorOptions, type RunningEmulator } from "./server";
import { roleDefinitions } from "./roles";
import { TokenService, type IssuedClaims } from "./tokens";

export interface TestEmulator extends RunningEmulator {
  dataDir: string;
  agent: ReturnType<typeof localAzureAgent>;
  automation: TokenCredential;
  clientSecret(tenantId: string, clientId: string, secret: string): ClientSecretCredential;
  managedIdentity(clientId: string): ManagedIdentityCredential;
  keyClient(vault: string, credential?: TokenCredential): KeyClient;
  cryptoClient(keyId: string, credential: TokenCredential): CryptographyClient;
  arm(credential?: TokenCredential): KeyVaultManagementClient;
  /** A raw ARM call as the automation principal (for resources without an SDK installed here). */
  /** A raw data-plane call; token undefined uses the automation principal's, null sends none. */
  rawVaultCall(
    vault: string,
    method: string,
    path: string,
    body?: unknown,
    token?: string | null,
  ): ReturnType<typeof httpsJson>;
  armFetch(
    method: string,
    resourcePath: string,
    body?: unknown,
    apiVersion?: string,
  ): Promise<{ status: number; json: unknown }>;
  admin(method: string, control: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  /** Key Vault operations counted since the last reset, all vaults; the SDK's 401 challenge handshake is not an operation. */
  keyVaultCalls(): Promise<number>;
  /** A token with exactly these claims, signed by the emulator's Entra ID (for tokens no flow issues, like Event Grid's). */
  issueToken(claims: IssuedClaims): Promise<string>;
  /** A token of a demo user for `audience` (default ARM's), as the emulator's sign-in issues it. */
  userToken(user: { objectId: string; tenant: string; name: string }, audience?: string): Promise<string>;
  /** Assigns a built-in role to a principal at an ARM scope, as the automation principal (Owner of Contoso). */
  assignRole(scope: string, roleName: string, principalId: string): Promise<void>;
  /** Gives a Contoso principal key permissions on a demo vault (default get, wrapKey, unwrapKey), as the vault's owner would. */
  grantKeys(vault: string, objectId: string, keys?: string[]): Promise<void>;
  /** Removes the principal's access policy from the vault. */
  revokeKeys(vault: string, objectId: string): Promise<void>;
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

const noRetries = { maxRetries: 0 };
/** What Entra ID puts in a user's access token: its delegated scope and the client it was issued to (here the Azure CLI's). */
const userGrant = { scp: "user_impersonation", azp: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" };

export async function startTestEmulator(options: Partial<EmulatorOptions> = {}): Promise<TestEmulator> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), "byok-emulator-")));
  let running = await startEmulator({ admin: true, ...options, dataDir });
  const agent = localAzureAgent(running.caPem);
  const clientSecret = (tenantId: string, clientId: string, secret: string) =>
    new ClientSecretCredential(tenantId, clientId, secret, {
      authorityHost: running.url,
      disableInstanceDiscovery: true,
      agent,
    });
  const automation = clientSecret(demoAutomationApp.tenantId, demoAutomationApp.clientId, demoAutomationApp.secret);

  const call = (method: string, url: string, body: unknown, token?: string) =>
    httpsJson(agent, method, url, body, token ? { authorization: `Bearer ${token}` } : {});

  const t: TestEmulator = {
    ...running,
    dataDir,
    agent,
    automation,
    clientSecret,
    managedIdentity(clientId) {
      process.env.IDENTITY_ENDPOINT = running.identityEndpoint;
      process.env.IDENTITY_HEADER = running.identityHeader;
      return new ManagedIdentityCredential({ clientId });
    },
    keyClient: (vault, credential = automation) =>
      new KeyClient(running.vaultUrl(vault), credential, { agent, retryOptions: noRetries }),
    cryptoClient: (keyId, credential) => new CryptographyClient(keyId, credential, { agent, retryOptions: noRetries }),
    arm: (credential = automation) =>
      new KeyVaultManagementClient(credential, demoSubscriptions.contosoMedia.id, {
        endpoint: running.url,
        agent,
        retryOptions: noRetries,
      }),
    async rawVaultCall(vault, method, p, body, token) {
      const bearer =
        token === undefined ? (await automation.getToken("https://vault.localhost/.default"))!.token : token;
      return httpsJson(
        agent,
        method,
        `${running.vaultUrl(vault)}${p}?api-version=7.5`,
        body,
        bearer ? { authorization: `Bearer ${bearer}` } : {},
      );
    },
    async armFetch(method, resourcePath, body, apiVersion = "2023-01-31") {
      const token = await automation.getToken(`${running.url}/.default`);
      return call(
        method,
        `${running.url}${resourcePath}${resourcePath.includes("?") ? "&" : "?"}api-version=${apiVersion}`,
        body,
        token!.token,
      );
    },
    admin: (method, control, body) => call(method, `${running.url}/_emulator/${control}`, body),
    async assignRole(scope, roleName, principalId) {
      const roleDefinitionId = `/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitions[roleName]!.id}`;
      const res = await t.armFetch(
        "PUT",
        `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
        { properties: { roleDefinitionId, principalId } },
        "2022-04-01",
      );
      if (res.status !== 201)
        throw new Error(`assigning ${roleName} at ${scope}: HTTP ${res.status} ${JSON.stringify(res.json)}`);
    },
    async issueToken(claims) {
      const { signingKey } = JSON.parse(await readFile(path.join(dataDir, "state.json"), "utf8")) as {
        signingKey: JWK;
      };
      return (await new TokenService(signingKey, running.url).issue(claims)).token;
    },
    userToken: (user, audience = running.url) =>
      t.issueToken({
        tid: user.tenant,
        oid: user.objectId,
        aud: audience,
        name: user.name,
        idtyp: "user",
        ...userGrant,
      }),
    async grantKeys(vault, objectId, keys = ["get", "wrapKey", "unwrapKey"]) {
      await t.arm().vaults.updateAccessPolicy(demoVaults.resourceGroup, vault, "add", {
        properties: { accessPolicies: [{ tenantId: demoTenants.contoso.id, objectId, permissions: { keys } }] },
      });
    },
    async revokeKeys(vault, objectId) {
      await t.arm().vaults.updateAccessPolicy(demoVaults.resourceGroup, vault, "remove", {
        properties: { accessPolicies: [{ tenantId: demoTenants.contoso.id, objectId, permissions: { keys: [] } }] },
      });
    },
    async keyVaultCalls() {
      const counters =
        ((await t.admin("GET", "counters")).json as { keyvault?: Record<string, Record<string, number>> }).keyvault ??
        {};
      return Object.values(counters)
        .flatMap((ops) => Object.entries(ops))
        .filter(([op]) => op !== "challenge")
        .reduce((n, [, c]) => n + c, 0);
    },
    async restart() {
      await running.stop();
      running = await startEmulator({ admin: true, ...options, dataDir, port: running.port });
      Object.assign(t, running);
    },
    async dispose() {
      await running.stop();
      agent.destroy();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/** One HTTPS request through `agent`, JSON in and out (text kept when the body is not JSON). */
export async function httpsJson(
  agent: https.Agent,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: unknown; headers: Record<string, string> }> {
  const res = await httpsRequest(url, {
    method,
    agent,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  let json: unknown = res.text;
  try {
    json = res.text ? JSON.parse(res.text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, json, headers: res.headers };
}
