/**
 * The REST API called directly, as in Azure (no ARM front door): tokens for the API's own App ID
 * URI. A user's request reads the vault and the identities it links from ARM through an
 * on-behalf-of token; a daemon's, which has no user, reads the vault as the account's identity.
 * Through the route handler in-process, against the emulator's Entra ID and ARM.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  demoAutomationApp,
  demoPortalApp,
  demoResourceGroup,
  demoSubscriptions,
  demoTenants,
  demoUsers,
  demoVaults,
} from "@/lib/demo/directory";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

const sub = demoSubscriptions.contosoMedia.id;
const apiAudience = `api://${demoPortalApp.clientId}`;
const accountUrl = (name: string) =>
  `http://localhost/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${name}?api-version=2021-11-01`;
const vaultScope = `/subscriptions/${sub}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${demoVaults.compliant.name}`;

let env: AppEnvironment;
let handleMediaApi: typeof import("@/lib/arm/media-api").handleMediaApi;
let ownerToken: string;
let daemonToken: string;

async function call(token: string, method: string, name: string, body?: unknown) {
  const res = await handleMediaApi(
    new Request(accountUrl(name), {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return {
    status: res.status,
    asyncOperation: res.headers.get("azure-asyncoperation"),
    json: (await res.json()) as {
      error?: { code: string; message: string };
      identity?: {
        principalId?: string;
        userAssignedIdentities?: Record<string, { principalId: string; clientId: string }>;
      };
      properties?: { encryption?: { type: string; keyVaultProperties?: { currentKeyIdentifier?: string } } };
    },
  };
}

/** Polls a long-running operation's Azure-AsyncOperation URL, as the SDK's poller does, until it ends. */
async function settle(token: string, started: Awaited<ReturnType<typeof call>>) {
  assert.ok(started.asyncOperation, `an operation to poll: ${started.status} ${JSON.stringify(started.json)}`);
  for (;;) {
    const res = await handleMediaApi(
      new Request(started.asyncOperation, { headers: { authorization: `Bearer ${token}` } }),
    );
    const body = (await res.json()) as { status: string; error?: { code: string; message: string } };
    assert.equal(res.status, 200, JSON.stringify(body));
    if (body.status !== "InProgress") return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const exchanges = async () =>
  ((await env.emu.admin("GET", "counters")).json as { entra?: Record<string, Record<string, number>> }).entra?.["-"]?.[
    "on-behalf-of"
  ] ?? 0;
const keyId = (vault: string, key: string) => `${env.emu.vaultUrl(vault)}/keys/${key}`;
const customerKey = (vault: string, key: string) => ({
  properties: {
    encryption: {
      type: "CustomerKey",
      keyVaultProperties: { keyIdentifier: keyId(vault, key) },
      identity: { useSystemAssignedIdentity: true },
    },
  },
});

/** A Contoso account with a system-assigned identity that may use keys in the demo vaults. */
async function accountWithKeyAccess(token: string, name: string): Promise<string> {
  const created = await call(token, "PUT", name, { location: "westus2", identity: { type: "SystemAssigned" } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const principalId = created.json.identity!.principalId!;
  for (const vault of [demoVaults.compliant.name, demoVaults.otherRegion.name])
    await env.emu.grantKeys(vault, principalId);
  return principalId;
}

before(async () => {
  env = await startAppEnvironment();
  ({ handleMediaApi } = await import("@/lib/arm/media-api"));
  ownerToken = await env.emu.userToken(demoUsers.owner, apiAudience);
  daemonToken = (await env.emu
    .clientSecret(demoAutomationApp.tenantId, demoAutomationApp.clientId, demoAutomationApp.secret)
    .getToken(`${apiAudience}/.default`))!.token;
});
after(async () => env?.dispose());

describe("a user calling the API directly (on-behalf-of)", () => {
  it("binds a customer key, with the vault's region checked as the user, from one exchange reused across requests", async () => {
    const start = await exchanges();
    await accountWithKeyAccess(ownerToken, "oboowner");
    const elsewhere = await call(ownerToken, "PATCH", "oboowner", customerKey(demoVaults.otherRegion.name, "rsa-2048"));
    assert.equal(elsewhere.status, 202);
    const refused = await settle(ownerToken, elsewhere);
    assert.equal(refused.status, "Failed");
    assert.equal(refused.error?.code, "VaultRegionMismatch", "the region was read from ARM as the owner");
    const bound = await call(ownerToken, "PATCH", "oboowner", customerKey(demoVaults.compliant.name, "rsa-2048"));
    assert.equal(bound.status, 202, JSON.stringify(bound.json));
    assert.equal((await settle(ownerToken, bound)).status, "Succeeded");
    assert.equal((await call(ownerToken, "GET", "oboowner")).json.properties?.encryption?.type, "CustomerKey");
    assert.equal(await exchanges(), start + 1, "one on-behalf-of exchange, then its cached token");
  });

  it("resolves a user-assigned identity as the user", async () => {
    const identityId = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-obo`;
    const identity = (
      (await env.emu.armFetch("PUT", identityId, { location: "westus2" })).json as {
        properties: { principalId: string; clientId: string };
      }
    ).properties;
    const created = await call(ownerToken, "PUT", "obouami", {
      location: "westus2",
      identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.deepEqual(created.json.identity?.userAssignedIdentities?.[identityId], {
      principalId: identity.principalId,
      clientId: identity.clientId,
    });
  });
});

describe("a user whose tenant never consented to the API calling ARM on their behalf", () => {
  it("gets 403 ConsentRequired, and nothing is created", async () => {
    const fabrikam = demoSubscriptions.fabrikamMedia.id;
    const consent = {
      clientId: demoPortalApp.clientId,
      tenantId: demoTenants.fabrikam.id,
      resource: "https://management.localhost",
    };
    await env.emu.admin("PUT", "consents", { ...consent, scopes: [] });
    try {
      const identityId = `/subscriptions/${fabrikam}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-fabrikam`;
      const url = accountUrl("unconsented").replace(sub, fabrikam);
      const token = await env.emu.userToken(demoUsers.outsider, apiAudience);
      const body = JSON.stringify({
        location: "westus2",
        identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
      });
      const res = await handleMediaApi(
        new Request(url, {
          method: "PUT",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body,
        }),
      );
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "ConsentRequired");
      assert.equal(
        (await handleMediaApi(new Request(url, { headers: { authorization: `Bearer ${token}` } }))).status,
        404,
      );
    } finally {
      await env.emu.admin("PUT", "consents", { ...consent, scopes: ["user_impersonation"] });
    }
  });
});

describe("a daemon calling the API directly (client credentials)", () => {
  it("is refused with what to grant while the account's identity cannot read the vault, and binds once it has Reader", async () => {
    const start = await exchanges();
    const principalId = await accountWithKeyAccess(daemonToken, "obodaemon");
    const refused = await settle(
      daemonToken,
      await call(daemonToken, "PATCH", "obodaemon", customerKey(demoVaults.compliant.name, "rsa-2048")),
    );
    assert.equal(refused.status, "Failed");
    assert.equal(refused.error?.code, "VaultNotVisible");
    assert.match(refused.error!.message, /Grant Reader on the vault to the account's identity, or call as a user/);
    assert.equal(
      (await call(daemonToken, "GET", "obodaemon")).json.properties?.encryption?.type,
      "SystemKey",
      "nothing changed",
    );

    await env.emu.assignRole(vaultScope, "Reader", principalId);
    const bound = await call(daemonToken, "PATCH", "obodaemon", customerKey(demoVaults.compliant.name, "rsa-2048"));
    assert.equal((await settle(daemonToken, bound)).status, "Succeeded");
    assert.equal((await call(daemonToken, "GET", "obodaemon")).json.properties?.encryption?.type, "CustomerKey");
    assert.equal(await exchanges(), start, "a daemon has no user: no on-behalf-of exchange");
  });

  it("cannot attach a user-assigned identity, since no user's right to assign it can be checked", async () => {
    const identityId = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-daemon`;
    await env.emu.armFetch("PUT", identityId, { location: "westus2" });
    const res = await call(daemonToken, "PUT", "obodaemonuami", {
      location: "westus2",
      identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
    });
    assert.equal(res.status, 403);
    assert.equal(res.json.error?.code, "LinkedAuthorizationFailed");
    assert.match(res.json.error!.message, /call as a user/);
  });
});
