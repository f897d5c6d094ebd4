/**
 * Conformance of the management plane (through @azure/arm-keyvault where it has the operation),
 * managed identities, Entra ID token flows, fault injection, persistence and resource-provider
 * forwarding.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import { decodeJwt } from "jose";
import {
  demoAutomationApp,
  demoPortalApp,
  demoSubscriptions,
  demoTenants,
  demoUsers,
  demoVaults,
} from "@/lib/demo/directory";
import { httpsJson, startTestEmulator, type TestEmulator } from "./test-support";

const sub = demoSubscriptions.contosoMedia.id;
const rg = demoVaults.resourceGroup;
const tenantId = demoTenants.contoso.id;

let emu: TestEmulator;
before(async () => {
  emu = await startTestEmulator();
});
after(async () => emu?.dispose());

function rejectsWith(status: number, code?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof RestError, String(err));
    assert.equal(err.statusCode, status, err.message);
    if (code) assert.match(`${err.code} ${err.message}`, code);
    return true;
  };
}

async function createVault(name: string, properties: Record<string, unknown> = {}, location = "westus2") {
  return await emu.arm().vaults.beginCreateOrUpdateAndWait(rg, name, {
    location,
    properties: {
      tenantId,
      sku: { family: "A", name: "standard" },
      accessPolicies: [],
      enableSoftDelete: true,
      ...properties,
    },
  });
}

async function userAssignedIdentity(name: string) {
  const res = await emu.armFetch(
    "PUT",
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
    { location: "westus2" },
  );
  assert.equal(res.status, 200);
  return (res.json as { properties: { principalId: string; clientId: string; tenantId: string } }).properties;
}

describe("management plane: vaults", () => {
  it("creates, reads, updates and lists vaults, and the next call sees each change", async () => {
    const created = await createVault("mgmt-vault", { enablePurgeProtection: false, softDeleteRetentionInDays: 7 });
    assert.equal(created.properties.vaultUri, `${emu.vaultUrl("mgmt-vault")}/`);
    assert.equal(created.properties.enablePurgeProtection, false);

    await emu.arm().vaults.update(rg, "mgmt-vault", { properties: { enablePurgeProtection: true } });
    const read = await emu.arm().vaults.get(rg, "mgmt-vault");
    assert.equal(read.properties.enablePurgeProtection, true);
    assert.equal(read.properties.softDeleteRetentionInDays, 7, "PATCH keeps what it does not name");

    await assert.rejects(
      emu.arm().vaults.update(rg, "mgmt-vault", { properties: { enablePurgeProtection: false } }),
      rejectsWith(400, /irreversible/),
    );

    const bySub: string[] = [];
    for await (const v of emu.arm().vaults.listBySubscription()) bySub.push(v.name!);
    const byRg: string[] = [];
    for await (const v of emu.arm().vaults.listByResourceGroup(rg)) byRg.push(v.name!);
    const generic: string[] = [];
    for await (const v of emu.arm().vaults.list()) generic.push(v.name!);
    for (const list of [bySub, byRg, generic])
      assert.ok(list.includes("mgmt-vault") && list.includes(demoVaults.compliant.name));

    const key = await (async () => {
      await emu.arm().vaults.updateAccessPolicy(rg, "mgmt-vault", "add", {
        properties: {
          accessPolicies: [
            { tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["create", "get"] } },
          ],
        },
      });
      return emu.keyClient("mgmt-vault").createRsaKey("k", { keySize: 2048 });
    })();
    assert.equal(key.properties.recoveryLevel, "Recoverable", "the data plane sees the vault's new purge protection");
  });

  it("refuses invalid vaults: name, missing location or tenant, a name used elsewhere", async () => {
    await assert.rejects(createVault("x"), rejectsWith(400, /VaultNameNotValid/));
    await assert.rejects(
      emu.arm().vaults.beginCreateOrUpdateAndWait(rg, "no-location", {
        location: "",
        properties: { tenantId, sku: { family: "A", name: "standard" } },
      }),
      rejectsWith(400),
    );
    await assert.rejects(
      emu.arm().vaults.beginCreateOrUpdateAndWait(demoVaults.resourceGroup, "no-tenant", {
        location: "westus2",
        properties: { tenantId: "not-a-guid", sku: { family: "A", name: "standard" } },
      }),
      rejectsWith(400, /tenantId/),
    );
    const other = await emu.armFetch(
      "PUT",
      `/subscriptions/${sub}/resourceGroups/media-rg/providers/Microsoft.KeyVault/vaults/${demoVaults.compliant.name}`,
      { location: "westus2", properties: { tenantId, sku: { family: "A", name: "standard" } } },
    );
    assert.equal(other.status, 409);
  });

  it("soft-deletes a vault (its keys become unreachable), lists it as deleted, recovers it with its keys, and purges only without protection", async () => {
    await createVault("doomed", {
      enablePurgeProtection: false,
      accessPolicies: [{ tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["create", "get"] } }],
    });
    await emu.keyClient("doomed").createRsaKey("survivor", { keySize: 2048 });
    await emu.arm().vaults.delete(rg, "doomed");
    await assert.rejects(emu.arm().vaults.get(rg, "doomed"), rejectsWith(404, /ResourceNotFound/));
    await assert.rejects(emu.keyClient("doomed").getKey("survivor"), rejectsWith(404, /VaultNotFound/));

    const deleted: string[] = [];
    for await (const d of emu.arm().vaults.listDeleted()) deleted.push(d.name!);
    assert.ok(deleted.includes("doomed"));
    assert.equal((await emu.arm().vaults.getDeleted("doomed", "westus2")).properties?.purgeProtectionEnabled, false);
    await assert.rejects(createVault("doomed"), rejectsWith(409, /deleted state/));

    await createVault("doomed", { createMode: "recover" });
    assert.equal((await emu.keyClient("doomed").getKey("survivor")).name, "survivor", "recovered with its keys");

    await emu.arm().vaults.delete(rg, "doomed");
    await emu.arm().vaults.beginPurgeDeletedAndWait("doomed", "westus2");
    await assert.rejects(emu.arm().vaults.getDeleted("doomed", "westus2"), rejectsWith(404));

    await createVault("protected-doomed", { enablePurgeProtection: true });
    await emu.arm().vaults.delete(rg, "protected-doomed");
    await assert.rejects(
      emu.arm().vaults.beginPurgeDeletedAndWait("protected-doomed", "westus2"),
      rejectsWith(409, /purge protection/),
    );
  });

  it("adds, replaces and removes access policies, and the data plane follows at once", async () => {
    await createVault("policies", {
      enablePurgeProtection: true,
      accessPolicies: [{ tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["create"] } }],
    });
    const client = emu.keyClient("policies");
    await client.createRsaKey("k", { keySize: 2048 });
    await assert.rejects(client.getKey("k"), rejectsWith(403, /get permission/));
    const policy = (keys: string[]) => ({
      properties: { accessPolicies: [{ tenantId, objectId: demoAutomationApp.objectId, permissions: { keys } }] },
    });
    await emu.arm().vaults.updateAccessPolicy(rg, "policies", "add", policy(["get"]));
    assert.equal((await client.getKey("k")).name, "k");
    await emu.arm().vaults.updateAccessPolicy(rg, "policies", "remove", policy(["get"]));
    await assert.rejects(client.getKey("k"), rejectsWith(403));
    await emu.arm().vaults.updateAccessPolicy(rg, "policies", "replace", policy(["get", "list"]));
    assert.equal((await client.getKey("k")).name, "k");
    await assert.rejects(client.createRsaKey("k2"), rejectsWith(403, /create permission/), "replace dropped create");
  });

  it("authorizes by role assignments when enableRbacAuthorization is set", async () => {
    await createVault("rbac-vault", { enableRbacAuthorization: true, enablePurgeProtection: true });
    const officer = randomUUID();
    const put = await emu.armFetch(
      "PUT",
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/rbac-vault/providers/Microsoft.Authorization/roleAssignments/${officer}`,
      {
        properties: {
          roleDefinitionId: `/subscriptions/${sub}/providers/Microsoft.Authorization/roleDefinitions/14b46e9e-c2b7-41b4-b07b-48a6ebf60603`,
          principalId: demoAutomationApp.objectId,
        },
      },
      "2022-04-01",
    );
    assert.equal(put.status, 201);
    const key = await emu.keyClient("rbac-vault").createRsaKey("k", { keySize: 2048 });
    await createVault("rbac-vault2", { enableRbacAuthorization: true, enablePurgeProtection: true });
    await assert.rejects(
      emu.keyClient("rbac-vault2").createRsaKey("k", { keySize: 2048 }),
      rejectsWith(403, /ForbiddenByRbac|not authorized/),
      "a role on rbac-vault is not one on rbac-vault2",
    );

    const identity = await userAssignedIdentity("rbac-reader");
    const mi = emu.managedIdentity(identity.clientId);
    await assert.rejects(
      emu.cryptoClient(key.id!, mi).wrapKey("RSA-OAEP-256", randomBytes(32)),
      rejectsWith(403, /ForbiddenByRbac|not authorized/),
    );
    await emu.armFetch(
      "PUT",
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/rbac-vault/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`,
      {
        properties: {
          roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6",
          principalId: identity.principalId,
        },
      },
      "2022-04-01",
    );
    const wrapped = await emu.cryptoClient(key.id!, mi).wrapKey("RSA-OAEP-256", randomBytes(32));
    assert.ok(wrapped.result.length > 0, "Crypto Service Encryption User may wrap");
    await assert.rejects(emu.keyClient("rbac-vault", mi).createRsaKey("nope"), rejectsWith(403), "but not create");
  });

  it("honours a role assigned on one key for that key only, and lists role assignments at a scope for a principal", async () => {
    await createVault("rbac-keys", { enableRbacAuthorization: true, enablePurgeProtection: true });
    const vaultId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/rbac-keys`;
    await emu.assignRole(vaultId, "Key Vault Crypto Officer", demoAutomationApp.objectId);
    const officer = emu.keyClient("rbac-keys");
    const granted = await officer.createRsaKey("granted", { keySize: 2048 });
    const other = await officer.createRsaKey("other", { keySize: 2048 });
    const identity = await userAssignedIdentity("rbac-one-key");
    await emu.assignRole(`${vaultId}/keys/granted`, "Key Vault Crypto Service Encryption User", identity.principalId);

    const mi = emu.managedIdentity(identity.clientId);
    const wrapped = await emu.cryptoClient(granted.id!, mi).wrapKey("RSA-OAEP-256", randomBytes(32));
    assert.ok(wrapped.result.length > 0, "the role on the key lets the identity wrap with it");
    await assert.rejects(
      emu.cryptoClient(other.id!, mi).wrapKey("RSA-OAEP-256", randomBytes(32)),
      rejectsWith(403, /not authorized/),
      "but not with another key of the same vault",
    );
    await assert.rejects(emu.keyClient("rbac-keys", mi).listPropertiesOfKeys().next(), rejectsWith(403));

    const list = await emu.armFetch(
      "GET",
      `${vaultId}/providers/Microsoft.Authorization/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${identity.principalId}'`)}`,
      undefined,
      "2022-04-01",
    );
    assert.equal(list.status, 200);
    const value = (
      list.json as { value: { properties: { scope: string; principalId: string; roleDefinitionId: string } }[] }
    ).value;
    assert.equal(value.length, 1, "only the principal's assignment, found below the vault's scope");
    assert.equal(value[0]!.properties.scope.toLowerCase(), `${vaultId}/keys/granted`.toLowerCase());
    assert.match(value[0]!.properties.roleDefinitionId, /e147488a-f6f5-4113-8e2d-b22465e65bf6$/);
  });

  it("answers ARM's errors: no token, another tenant's token, no role, unknown resource group", async () => {
    const path = `${emu.url}/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults?api-version=2023-01-31`;
    const none = await httpsJson(emu.agent, "GET", path);
    assert.equal(none.status, 401);
    assert.match(JSON.stringify(none.json), /AuthenticationFailed/);
    const missingVersion = await httpsJson(emu.agent, "GET", path.replace(/\?.*$/, ""));
    assert.equal(missingVersion.status, 400);

    const portal = emu.clientSecret(tenantId, demoPortalApp.clientId, demoPortalApp.secret);
    await assert.rejects(
      emu.arm(portal).vaults.get(rg, demoVaults.compliant.name),
      rejectsWith(403, /AuthorizationFailed/),
      "an app with no role",
    );
    const list: string[] = [];
    for await (const v of emu.arm(portal).vaults.listBySubscription()) list.push(v.name!);
    assert.deepEqual(list, [], "lists show only what the caller may read");
    await assert.rejects(
      emu.arm().vaults.listByResourceGroup("no-such-rg").next(),
      rejectsWith(404, /ResourceGroupNotFound/),
    );
  });
});

describe("managed identities and Entra ID", () => {
  it("gives two user-assigned identities tokens whose Key Vault access differs by access policy", async () => {
    const alpha = await userAssignedIdentity("alpha");
    const beta = await userAssignedIdentity("beta");
    assert.notEqual(alpha.clientId, beta.clientId);
    await createVault("mi-vault", {
      enablePurgeProtection: true,
      accessPolicies: [
        { tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["create"] } },
        { tenantId, objectId: alpha.principalId, permissions: { keys: ["get", "wrapKey", "unwrapKey"] } },
        { tenantId, objectId: beta.principalId, permissions: { keys: ["get"] } },
      ],
    });
    const key = await emu.keyClient("mi-vault").createRsaKey("k", { keySize: 2048 });
    const alphaCred = emu.managedIdentity(alpha.clientId);
    const betaCred = emu.managedIdentity(beta.clientId);
    const token = await alphaCred.getToken("https://vault.localhost/.default");
    const claims = decodeJwt(token!.token);
    assert.equal(claims.oid, alpha.principalId);
    assert.equal(claims.aud, "https://vault.localhost");

    const secret = randomBytes(32);
    const wrapped = await emu.cryptoClient(key.id!, alphaCred).wrapKey("RSA-OAEP-256", secret);
    assert.deepEqual(
      Buffer.from((await emu.cryptoClient(key.id!, alphaCred).unwrapKey("RSA-OAEP-256", wrapped.result)).result),
      secret,
    );
    assert.equal((await emu.keyClient("mi-vault", betaCred).getKey("k")).name, "k");
    await assert.rejects(
      emu.cryptoClient(key.id!, betaCred).unwrapKey("RSA-OAEP-256", wrapped.result),
      rejectsWith(403, /unwrapKey permission/),
    );
  });

  it("issues, reads and removes the system-assigned identity of a resource", async () => {
    const resource = `/subscriptions/${sub}/resourceGroups/media-rg/providers/Microsoft.Media/mediaservices/sysmi`;
    const first = await emu.armFetch("PUT", `${resource}/providers/Microsoft.ManagedIdentity/identities/default`, {});
    const again = await emu.armFetch("PUT", `${resource}/providers/Microsoft.ManagedIdentity/identities/default`, {});
    const a = (first.json as { properties: { principalId: string; clientId: string; tenantId: string } }).properties;
    assert.deepEqual((again.json as { properties: unknown }).properties, a, "idempotent per resource");
    assert.equal(a.tenantId, tenantId);
    const token = await emu.managedIdentity(a.clientId).getToken("https://vault.localhost/.default");
    assert.equal(decodeJwt(token!.token).xms_mirid, resource);
    assert.equal(
      (await emu.armFetch("DELETE", `${resource}/providers/Microsoft.ManagedIdentity/identities/default`)).status,
      200,
    );
    // MSAL caches the vault token it already holds; a token for another resource must be issued anew.
    await assert.rejects(
      emu.managedIdentity(a.clientId).getToken(`${emu.url}/.default`),
      "a removed identity gets no new token",
    );
  });

  it("refuses the identity endpoint without its header", async () => {
    const res = await fetch(`${emu.identityEndpoint}?api-version=2019-08-01&resource=https://vault.localhost`, {
      headers: { "X-IDENTITY-HEADER": "wrong" },
    });
    assert.equal(res.status, 401);
  });

  it("issues client-credential tokens in the v2 and v1 forms, and refuses a wrong secret or scope", async () => {
    const v2 = await emu.automation.getToken(`${emu.url}/.default`);
    const claims = decodeJwt(v2!.token);
    assert.equal(claims.iss, `${emu.url}/${tenantId}/v2.0`);
    assert.equal(claims.oid, demoAutomationApp.objectId);
    assert.equal(claims.idtyp, "app");

    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const v1 = await httpsJson(
      emu.agent,
      "POST",
      `${emu.url}/${tenantId}/oauth2/token`,
      form({
        grant_type: "client_credentials",
        client_id: demoAutomationApp.clientId,
        client_secret: demoAutomationApp.secret,
        resource: emu.url,
      }),
      { "content-type": "application/x-www-form-urlencoded" },
    );
    assert.equal(v1.status, 200);
    assert.equal(decodeJwt((v1.json as { access_token: string }).access_token).aud, emu.url);

    const wrong = await httpsJson(
      emu.agent,
      "POST",
      `${emu.url}/${tenantId}/oauth2/v2.0/token`,
      form({
        grant_type: "client_credentials",
        client_id: demoAutomationApp.clientId,
        client_secret: "nope",
        scope: `${emu.url}/.default`,
      }),
      { "content-type": "application/x-www-form-urlencoded" },
    );
    assert.equal(wrong.status, 401);
    assert.match(JSON.stringify(wrong.json), /AADSTS7000215/);
    const badScope = await httpsJson(
      emu.agent,
      "POST",
      `${emu.url}/${tenantId}/oauth2/v2.0/token`,
      form({
        grant_type: "client_credentials",
        client_id: demoAutomationApp.clientId,
        client_secret: demoAutomationApp.secret,
        scope: "user.read",
      }),
      { "content-type": "application/x-www-form-urlencoded" },
    );
    assert.equal(badScope.status, 400);
    const otherTenant = await httpsJson(
      emu.agent,
      "POST",
      `${emu.url}/${demoTenants.fabrikam.id}/oauth2/v2.0/token`,
      form({
        grant_type: "client_credentials",
        client_id: demoAutomationApp.clientId,
        client_secret: demoAutomationApp.secret,
        scope: `${emu.url}/.default`,
      }),
      { "content-type": "application/x-www-form-urlencoded" },
    );
    assert.equal(otherTenant.status, 400, "an app exists only in its own tenant");
  });

  it("serves OIDC discovery and a sign-in page listing only the tenant's users", async () => {
    const config = await httpsJson(
      emu.agent,
      "GET",
      `${emu.url}/${demoTenants.contoso.domain}/v2.0/.well-known/openid-configuration`,
    );
    assert.equal((config.json as { issuer: string }).issuer, `${emu.url}/${tenantId}/v2.0`);
    const keys = await httpsJson(emu.agent, "GET", (config.json as { jwks_uri: string }).jwks_uri);
    assert.equal((keys.json as { keys: { kty: string; d?: string }[] }).keys[0]?.kty, "RSA");
    assert.equal((keys.json as { keys: { d?: string }[] }).keys[0]?.d, undefined, "no private member");

    const authorize = new URL(`${emu.url}/${tenantId}/oauth2/v2.0/authorize`);
    for (const [k, v] of Object.entries({
      client_id: demoPortalApp.clientId,
      redirect_uri: "http://localhost:3999/auth/callback",
      response_type: "code",
      scope: "openid",
      state: "s",
    }))
      authorize.searchParams.set(k, v);
    const page = await httpsJson(emu.agent, "GET", authorize.href);
    assert.equal(page.status, 200);
    assert.match(String(page.json), new RegExp(demoUsers.owner.upn));
    assert.doesNotMatch(String(page.json), new RegExp(demoUsers.outsider.upn));
    authorize.searchParams.set("redirect_uri", "https://evil.example/callback");
    const refused = await httpsJson(emu.agent, "GET", authorize.href);
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.json), /AADSTS50011/);
  });
});

describe("fault injection, counters, persistence, forwarding", () => {
  it("answers exactly the injected 429s with Retry-After, then succeeds, and counts every call", async () => {
    await emu.arm().vaults.updateAccessPolicy(rg, demoVaults.compliant.name, "add", {
      properties: {
        accessPolicies: [{ tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["get", "wrapKey"] } }],
      },
    });
    const key = await emu.keyClient(demoVaults.compliant.name).getKey("rsa-2048");
    const crypto = emu.cryptoClient(key.id!, emu.automation);
    await crypto.wrapKey("RSA-OAEP-256", randomBytes(32)); // warms the challenge and token
    await emu.admin("POST", "reset");
    const fault = await emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      operation: "wrapKey",
      kind: "status",
      status: 429,
      retryAfterSeconds: 7,
      count: 2,
    });
    assert.equal(fault.status, 201);

    const outcomes: (number | string)[] = [];
    for (let i = 0; i < 4; i++) {
      try {
        await crypto.wrapKey("RSA-OAEP-256", randomBytes(32));
        outcomes.push("ok");
      } catch (err) {
        assert.ok(err instanceof RestError);
        assert.equal(err.response?.headers.get("retry-after"), "7");
        outcomes.push(err.statusCode!);
      }
    }
    assert.deepEqual(outcomes, [429, 429, "ok", "ok"]);
    const counters = (await emu.admin("GET", "counters")).json as Record<
      string,
      Record<string, Record<string, number>>
    >;
    assert.equal(counters.keyvault?.[demoVaults.compliant.name]?.wrapKey, 4);
    assert.equal(((await emu.admin("GET", "faults")).json as { value: { hits: number }[] }).value[0]?.hits, 2);
  });

  it("injects 503s, latency and dropped connections, until cleared", async () => {
    const key = await emu.keyClient(demoVaults.compliant.name).getKey("rsa-2048");
    const crypto = emu.cryptoClient(key.id!, emu.automation);
    await emu.admin("POST", "faults", { vault: demoVaults.compliant.name, kind: "status", status: 503 });
    await assert.rejects(crypto.wrapKey("RSA-OAEP-256", randomBytes(32)), rejectsWith(503));
    await emu.admin("DELETE", "faults");
    await emu.admin("POST", "faults", { vault: demoVaults.compliant.name, kind: "latency", latencyMs: 300, count: 1 });
    const started = performance.now();
    await crypto.wrapKey("RSA-OAEP-256", randomBytes(32));
    assert.ok(performance.now() - started >= 290, "latency applied");
    await emu.admin("POST", "faults", { vault: demoVaults.compliant.name, kind: "drop", count: 1 });
    await assert.rejects(crypto.wrapKey("RSA-OAEP-256", randomBytes(32)), (err: unknown) =>
      /socket|ECONNRESET|closed/i.test(String((err as Error).message)),
    );
    await crypto.wrapKey("RSA-OAEP-256", randomBytes(32));
    const identity = await userAssignedIdentity("faulty");
    await emu.admin("POST", "faults", { target: "managed-identity", kind: "status", status: 500 });
    await assert.rejects(emu.managedIdentity(identity.clientId).getToken("https://vault.localhost/.default"));
    const tokenCalls =
      ((await emu.admin("GET", "counters")).json as Record<string, Record<string, Record<string, number>>>)[
        "managed-identity"
      ]?.["-"]?.token ?? 0;
    assert.ok(tokenCalls >= 2, `MSAL retried the 500s (${tokenCalls} calls)`);
    await emu.admin("DELETE", "faults");
    assert.ok(
      await emu.managedIdentity(identity.clientId).getToken("https://vault.localhost/.default"),
      "and succeeds once cleared",
    );
    assert.equal((await emu.admin("POST", "faults", { kind: "status" })).status, 400, "a status fault needs a status");
  });

  it("keeps vaults, key versions and identities across a restart: wrap before, unwrap after", async () => {
    const identity = await userAssignedIdentity("durable");
    await createVault("durable-kv", {
      enablePurgeProtection: true,
      accessPolicies: [
        { tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["create", "rotate", "get", "list"] } },
        { tenantId, objectId: identity.principalId, permissions: { keys: ["get", "wrapKey", "unwrapKey"] } },
      ],
    });
    const v1 = await emu.keyClient("durable-kv").createRsaKey("k", { keySize: 2048 });
    const v2 = await emu.keyClient("durable-kv").rotateKey("k");
    const secret = randomBytes(32);
    const wrapped = await emu
      .cryptoClient(v1.id!, emu.managedIdentity(identity.clientId))
      .wrapKey("RSA-OAEP-256", secret);

    await emu.restart();
    const mi = emu.managedIdentity(identity.clientId);
    assert.deepEqual(
      Buffer.from((await emu.cryptoClient(v1.id!, mi).unwrapKey("RSA-OAEP-256", wrapped.result)).result),
      secret,
    );
    const versions: string[] = [];
    for await (const v of emu.keyClient("durable-kv").listPropertiesOfKeyVersions("k")) versions.push(v.version!);
    assert.deepEqual(versions.sort(), [v1.properties.version!, v2.properties.version!].sort());
    assert.equal((await emu.arm().vaults.get(rg, "durable-kv")).properties.enablePurgeProtection, true);
  });

  it("forwards Microsoft.Media requests to the resource provider, with the caller's token and body", async () => {
    const seen: { method?: string; url?: string; auth?: string; body?: string; host?: string }[] = [];
    const rp = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({
          method: req.method,
          url: req.url,
          auth: req.headers.authorization,
          body,
          host: String(req.headers["x-forwarded-host"]),
        });
        res
          .writeHead(201, { "content-type": "application/json", "azure-asyncoperation": "https://example.invalid/op" })
          .end(JSON.stringify({ name: "acct" }));
      });
    });
    await new Promise<void>((r) => rp.listen(0, "127.0.0.1", r));
    const forwarding = await startTestEmulator({
      resourceProviderUrl: `http://127.0.0.1:${(rp.address() as AddressInfo).port}`,
    });
    try {
      const token = (await forwarding.automation.getToken(`${forwarding.url}/.default`))!.token;
      const path = `/subscriptions/${sub}/resourceGroups/media-rg/providers/Microsoft.Media/mediaservices/acct?api-version=2021-11-01`;
      const res = await httpsJson(
        forwarding.agent,
        "PUT",
        `${forwarding.url}${path}`,
        { location: "westus2" },
        { authorization: `Bearer ${token}` },
      );
      assert.equal(res.status, 201);
      assert.deepEqual(res.json, { name: "acct" });
      assert.equal(res.headers["azure-asyncoperation"], "https://example.invalid/op");
      assert.deepEqual(seen, [
        {
          method: "PUT",
          url: path,
          auth: `Bearer ${token}`,
          body: JSON.stringify({ location: "westus2" }),
          host: `localhost:${forwarding.port}`,
        },
      ]);
    } finally {
      await forwarding.dispose();
      rp.close();
    }
  });
});

describe("management plane: the rest", () => {
  it("creates and reads resource groups and storage accounts, and lists the caller's subscriptions", async () => {
    assert.equal(
      (
        await emu.armFetch(
          "PUT",
          `/subscriptions/${sub}/resourcegroups/extra-rg`,
          { location: "westus2" },
          "2021-04-01",
        )
      ).status,
      201,
    );
    assert.equal(
      (
        await emu.armFetch(
          "PUT",
          `/subscriptions/${sub}/resourcegroups/extra-rg`,
          { location: "westus2" },
          "2021-04-01",
        )
      ).status,
      200,
    );
    const storage = await emu.armFetch(
      "PUT",
      `/subscriptions/${sub}/resourceGroups/extra-rg/providers/Microsoft.Storage/storageAccounts/mediastore`,
      { location: "westus2", kind: "StorageV2" },
    );
    assert.equal(storage.status, 200);
    const read = await emu.armFetch(
      "GET",
      `/subscriptions/${sub}/resourceGroups/extra-rg/providers/Microsoft.Storage/storageAccounts/mediastore`,
    );
    assert.equal((read.json as { kind: string }).kind, "StorageV2");
    const subs = await emu.armFetch("GET", "/subscriptions", undefined, "2022-12-01");
    assert.deepEqual(
      (subs.json as { value: { subscriptionId: string }[] }).value.map((s) => s.subscriptionId),
      [sub],
    );
  });

  it("accepts the data-plane api-versions the SDKs send, from 7.0 to 2025-07-01", async () => {
    await emu.arm().vaults.updateAccessPolicy(rg, demoVaults.compliant.name, "add", {
      properties: {
        accessPolicies: [{ tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["get"] } }],
      },
    });
    const token = (await emu.automation.getToken("https://vault.localhost/.default"))!.token;
    for (const version of ["7.0", "7.4", "7.6", "2025-07-01"]) {
      const res = await httpsJson(
        emu.agent,
        "GET",
        `${emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048/?api-version=${version}`,
        undefined,
        { authorization: `Bearer ${token}` },
      );
      assert.equal(res.status, 200, version);
    }
  });
});

describe("Microsoft.Authorization/permissions", () => {
  const permissionsAt = async (scope: string, token: string) => {
    const res = await httpsJson(
      emu.agent,
      "GET",
      `${emu.url}${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`,
      undefined,
      { authorization: `Bearer ${token}` },
    );
    return {
      status: res.status,
      value: (
        res.json as {
          value?: { actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[] }[];
        }
      ).value,
    };
  };

  it("answers the caller's roles at a scope and above it, each as its actions, notActions, dataActions and notDataActions", async () => {
    const identityScope = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/perm-target`;
    await userAssignedIdentity("perm-target");
    const owner = await permissionsAt(identityScope, (await emu.automation.getToken(`${emu.url}/.default`))!.token);
    assert.equal(owner.status, 200);
    assert.deepEqual(
      owner.value,
      [{ actions: ["*"], notActions: [], dataActions: [], notDataActions: [] }],
      "Owner of the subscription, inherited",
    );

    const user = { objectId: randomUUID(), tenant: tenantId, name: "Perm User" };
    const token = await emu.userToken(user);
    assert.deepEqual((await permissionsAt(identityScope, token)).value, [], "no role, no permissions");
    await emu.assignRole(identityScope, "Reader", user.objectId);
    assert.deepEqual((await permissionsAt(identityScope, token)).value, [
      { actions: ["*/read"], notActions: [], dataActions: [], notDataActions: [] },
    ]);
    assert.deepEqual(
      (await permissionsAt(`/subscriptions/${sub}/resourceGroups/${rg}`, token)).value,
      [],
      "a role on the identity says nothing of its resource group",
    );
    assert.deepEqual(
      (await permissionsAt(`${identityScope}2`, token)).value,
      [],
      "nor of an identity whose name it begins",
    );

    await emu.assignRole(identityScope, "Managed Identity Operator", user.objectId);
    const actions = (await permissionsAt(identityScope, token)).value!.flatMap((p) => p.actions);
    assert.ok(actions.includes("Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action"), actions.join(", "));
  });

  it("refuses a token of another tenant and a request without one", async () => {
    const scope = `/subscriptions/${sub}/resourceGroups/${rg}`;
    const outsider = await permissionsAt(scope, await emu.userToken(demoUsers.outsider));
    assert.equal(outsider.status, 401);
    const none = await httpsJson(
      emu.agent,
      "GET",
      `${emu.url}${scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`,
    );
    assert.equal(none.status, 401);
  });
});
