/**
 * Entra ID's on-behalf-of grant as the emulator serves it: a middle-tier API (the portal's app
 * registration) trades a user's token for its own App ID URI for an ARM token as that user,
 * within the consent its tenant gave, with Entra ID's errors; and the app roles that daemons'
 * tokens for the API carry.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt, type JWK } from "jose";
import {
  demoApiAppRole,
  demoAutomationApp,
  demoPortalApp,
  demoSubscriptions,
  demoTenants,
  demoUsers,
  demoVaults,
} from "@/lib/demo/directory";
import { httpsJson, startTestEmulator, type TestEmulator } from "./test-support";
import { TokenService, type IssuedClaims } from "./tokens";

const apiAudience = `api://${demoPortalApp.clientId}`;
const contoso = demoTenants.contoso.id;
let emu: TestEmulator;

before(async () => {
  emu = await startTestEmulator();
});
after(async () => emu?.dispose());

/** A token signed by the emulated Entra ID, with any claims and lifetime (negative: already expired). */
async function entraToken(claims: IssuedClaims, lifetimeSeconds = 3600) {
  const { signingKey } = JSON.parse(await readFile(path.join(emu.dataDir, "state.json"), "utf8")) as {
    signingKey: JWK;
  };
  return (await new TokenService(signingKey, emu.url).issue(claims, lifetimeSeconds)).token;
}

/** The owner's token for the API, as a client app (the Azure CLI's id) gets it. */
const ownerApiToken = (lifetimeSeconds?: number) =>
  entraToken(
    {
      tid: contoso,
      oid: demoUsers.owner.objectId,
      aud: apiAudience,
      scp: "user_impersonation",
      azp: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
      idtyp: "user",
      name: demoUsers.owner.name,
    },
    lifetimeSeconds,
  );

async function onBehalfOf(
  fields: Record<string, string | undefined>,
  app: { clientId: string; secret: string } = demoPortalApp,
  tenant: string = contoso,
) {
  const form = Object.fromEntries(
    Object.entries({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      requested_token_use: "on_behalf_of",
      client_id: app.clientId,
      client_secret: app.secret,
      scope: `${emu.url}/user_impersonation`,
      ...fields,
    }).filter((e): e is [string, string] => e[1] !== undefined),
  );
  const res = await httpsJson(
    emu.agent,
    "POST",
    `${emu.url}/${tenant}/oauth2/v2.0/token`,
    new URLSearchParams(form).toString(),
    { "content-type": "application/x-www-form-urlencoded" },
  );
  return {
    status: res.status,
    json: res.json as {
      access_token?: string;
      error?: string;
      error_codes?: number[];
      suberror?: string;
      scope?: string;
      expires_in?: number;
    },
  };
}

const oboCount = async () =>
  ((await emu.admin("GET", "counters")).json as { entra?: Record<string, Record<string, number>> }).entra?.["-"]?.[
    "on-behalf-of"
  ] ?? 0;

describe("on-behalf-of (urn:ietf:params:oauth:grant-type:jwt-bearer)", () => {
  it("trades the owner's token for the API for an ARM token as the owner, which ARM accepts, and counts the exchange", async () => {
    const before = await oboCount();
    const res = await onBehalfOf({ assertion: await ownerApiToken() });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const claims = decodeJwt(res.json.access_token!);
    assert.equal(claims.aud, emu.url);
    assert.equal(claims.oid, demoUsers.owner.objectId);
    assert.equal(claims.tid, contoso);
    assert.equal(claims.azp, demoPortalApp.clientId, "issued to the middle tier, not to the user's client");
    assert.equal(claims.scp, "user_impersonation");
    assert.equal(res.json.scope, `${emu.url}/user_impersonation`);
    assert.ok(res.json.expires_in! > 3000);
    const subscriptions = await httpsJson(
      emu.agent,
      "GET",
      `${emu.url}/subscriptions?api-version=2022-12-01`,
      undefined,
      { authorization: `Bearer ${res.json.access_token}` },
    );
    assert.deepEqual(
      (subscriptions.json as { value: { subscriptionId: string }[] }).value.map((s) => s.subscriptionId),
      [demoSubscriptions.contosoMedia.id],
    );
    assert.equal(await oboCount(), before + 1);
  });

  it("/.default asks for what the tenant consented to", async () => {
    const res = await onBehalfOf({ assertion: await ownerApiToken(), scope: `${emu.url}/.default` });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(decodeJwt(res.json.access_token!).scp, "user_impersonation");
  });

  it("refuses a scope its tenant never consented to with AADSTS65001 (consent_required)", async () => {
    const vault = await onBehalfOf({
      assertion: await ownerApiToken(),
      scope: "https://vault.localhost/user_impersonation",
    });
    assert.equal(vault.status, 400);
    assert.equal(vault.json.error, "invalid_grant");
    assert.deepEqual(vault.json.error_codes, [65001]);
    assert.equal(vault.json.suberror, "consent_required");
    // The automation app has no consent at all: an assertion for it is refused the same way.
    const assertion = await entraToken({
      tid: contoso,
      oid: demoUsers.owner.objectId,
      aud: demoAutomationApp.clientId,
      scp: "user_impersonation",
      azp: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
      idtyp: "user",
    });
    const unconsented = await onBehalfOf({ assertion }, demoAutomationApp);
    assert.deepEqual(unconsented.json.error_codes, [65001]);
  });

  it("follows the tenant's consent: revoked, the exchange fails with AADSTS65001; granted again, it works", async () => {
    const consent = { clientId: demoPortalApp.clientId, tenantId: contoso, resource: "https://management.localhost" };
    assert.equal((await emu.admin("PUT", "consents", { ...consent, scopes: [] })).status, 204);
    const revoked = await onBehalfOf({ assertion: await ownerApiToken() });
    assert.deepEqual(
      [revoked.json.error, revoked.json.error_codes, revoked.json.suberror],
      ["invalid_grant", [65001], "consent_required"],
    );
    await emu.admin("PUT", "consents", { ...consent, scopes: ["user_impersonation"] });
    assert.equal((await onBehalfOf({ assertion: await ownerApiToken() })).status, 200);
  });

  it("refuses assertions that are not a valid user token for the presenting app with invalid_grant", async () => {
    const cases: [string, string | undefined, number][] = [
      ["another audience (an ARM token)", await emu.userToken(demoUsers.owner), 50013],
      ["expired", await ownerApiToken(-600), 500133],
      [
        "an app's token, no user",
        await entraToken({
          tid: contoso,
          oid: demoAutomationApp.objectId,
          aud: apiAudience,
          appid: demoAutomationApp.clientId,
          azp: demoAutomationApp.clientId,
          idtyp: "app",
          roles: [demoApiAppRole],
        }),
        50013,
      ],
      [
        "a user of no directory",
        await entraToken({
          tid: contoso,
          oid: "0f0f0f0f-1111-4222-8333-444455556666",
          aud: apiAudience,
          scp: "user_impersonation",
          azp: "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
          idtyp: "user",
        }),
        50013,
      ],
      ["tampered", (await ownerApiToken()).slice(0, -4) + "AAAA", 50013],
      ["missing", undefined, 50013],
    ];
    for (const [label, assertion, code] of cases) {
      const res = await onBehalfOf({ assertion });
      assert.equal(res.status, 400, label);
      assert.equal(res.json.error, "invalid_grant", label);
      assert.deepEqual(res.json.error_codes, [code], label);
      assert.equal(res.json.access_token, undefined, label);
    }
    const otherTenant = await onBehalfOf({ assertion: await ownerApiToken() }, demoPortalApp, demoTenants.fabrikam.id);
    assert.equal(otherTenant.json.error, "invalid_grant", "a Contoso user's assertion at Fabrikam's endpoint");
  });

  it("needs requested_token_use=on_behalf_of and the app's own secret", async () => {
    assert.equal(
      (await onBehalfOf({ assertion: await ownerApiToken(), requested_token_use: undefined })).json.error,
      "invalid_request",
    );
    const wrongSecret = await onBehalfOf(
      { assertion: await ownerApiToken() },
      { clientId: demoPortalApp.clientId, secret: "not-the-secret" },
    );
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.json.error, "invalid_client");
  });
});

describe("daemons and the API", () => {
  it("a client-credentials token for the API carries the app roles assigned to the client, and none for an unassigned API", async () => {
    const token = async (app: { tenantId: string; clientId: string; secret: string }, resource: string) =>
      decodeJwt(
        (await emu.clientSecret(app.tenantId, app.clientId, app.secret).getToken(`${resource}/.default`))!.token,
      );
    assert.deepEqual((await token(demoAutomationApp, apiAudience)).roles, [demoApiAppRole]);
    assert.equal((await token(demoAutomationApp, emu.url)).roles, undefined, "ARM grants apps nothing in the token");
  });

  it("ARM lists a subscription to a principal whose only role in it is Reader on one vault", async () => {
    const identity = (
      (
        await emu.armFetch(
          "PUT",
          `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-obo-reader`,
          { location: "westus2" },
        )
      ).json as { properties: { principalId: string; clientId: string } }
    ).properties;
    const token = (await emu.managedIdentity(identity.clientId).getToken(`${emu.url}/.default`))!.token;
    const list = async () =>
      (
        (
          await httpsJson(emu.agent, "GET", `${emu.url}/subscriptions?api-version=2022-12-01`, undefined, {
            authorization: `Bearer ${token}`,
          })
        ).json as { value: unknown[] }
      ).value;
    assert.deepEqual(await list(), []);
    await emu.assignRole(
      `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${demoVaults.compliant.name}`,
      "Reader",
      identity.principalId,
    );
    assert.equal((await list()).length, 1);
    const vaults = await emu
      .arm({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 60_000 }) })
      .vaults.list();
    const names: string[] = [];
    for await (const v of vaults) names.push(v.name!);
    assert.deepEqual(names, [demoVaults.compliant.name]);
  });
});
