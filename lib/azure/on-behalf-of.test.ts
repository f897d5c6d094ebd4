/**
 * The API's on-behalf-of exchange against the emulated Entra ID, counted there: one exchange per
 * caller while its ARM token lives, another for another caller, a new one shortly before expiry.
 */
import assert from "node:assert/strict";
import { after, before, describe, it, mock } from "node:test";
import { decodeJwt } from "jose";
import { demoAutomationApp, demoPortalApp, demoTenants, demoUsers } from "@/lib/demo/directory";
import { principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

let env: AppEnvironment;
let armTokenOnBehalfOf: typeof import("./on-behalf-of").armTokenOnBehalfOf;
let callerArmToken: typeof import("./on-behalf-of").callerArmToken;
const apiAudience = `api://${demoPortalApp.clientId}`;

before(async () => {
  env = await startAppEnvironment();
  ({ armTokenOnBehalfOf, callerArmToken } = await import("./on-behalf-of"));
});
after(async () => {
  mock.timers.reset();
  await env?.dispose();
});

const exchanges = async () =>
  ((await env.emu.admin("GET", "counters")).json as { entra?: Record<string, Record<string, number>> }).entra?.["-"]?.[
    "on-behalf-of"
  ] ?? 0;
const apiToken = (user: (typeof demoUsers)[keyof typeof demoUsers]) => env.emu.userToken(user, apiAudience);

describe("armTokenOnBehalfOf", () => {
  it("exchanges once per caller and reuses the ARM token from its cache", async () => {
    const start = await exchanges();
    const owner = principalOf(demoUsers.owner);
    const first = await armTokenOnBehalfOf(owner, await apiToken(demoUsers.owner));
    const second = await armTokenOnBehalfOf(owner, await apiToken(demoUsers.owner));
    assert.equal(second, first);
    assert.equal(await exchanges(), start + 1, "2 calls by the same user = 1 exchange");
    const claims = decodeJwt(first);
    assert.equal(claims.aud, env.emu.url, "an ARM token");
    assert.equal(claims.oid, demoUsers.owner.objectId, "as the caller");

    const reader = await armTokenOnBehalfOf(principalOf(demoUsers.reader), await apiToken(demoUsers.reader));
    assert.equal(decodeJwt(reader).oid, demoUsers.reader.objectId);
    assert.equal(await exchanges(), start + 2, "another user = another exchange");
  });

  it("concurrent first calls of one caller share one exchange", async () => {
    const start = await exchanges();
    const outsider = principalOf(demoUsers.outsider);
    const assertion = await apiToken(demoUsers.outsider);
    const tokens = await Promise.all([1, 2, 3].map(() => armTokenOnBehalfOf(outsider, assertion)));
    assert.equal(new Set(tokens).size, 1);
    assert.equal(await exchanges(), start + 1);
  });

  it("exchanges again shortly before the cached token expires", async () => {
    const owner = principalOf(demoUsers.owner);
    const cached = await armTokenOnBehalfOf(owner, await apiToken(demoUsers.owner));
    const start = await exchanges();
    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    try {
      mock.timers.tick(50 * 60_000);
      assert.equal(
        await armTokenOnBehalfOf(owner, await apiToken(demoUsers.owner)),
        cached,
        "still 10 minutes left: the cached one",
      );
      assert.equal(await exchanges(), start);
      mock.timers.tick(6 * 60_000);
      const renewed = await armTokenOnBehalfOf(owner, await apiToken(demoUsers.owner));
      assert.notEqual(renewed, cached, "4 minutes left: a new one");
      assert.equal(await exchanges(), start + 1);
    } finally {
      mock.timers.reset();
    }
  });

  it("maps Entra ID's AADSTS65001 (the tenant never consented) to ConsentRequired, saying who grants what", async () => {
    const consent = {
      clientId: demoPortalApp.clientId,
      tenantId: demoTenants.fabrikam.id,
      resource: "https://management.localhost",
    };
    await env.emu.admin("PUT", "consents", { ...consent, scopes: [] });
    try {
      const caller = { tenantId: demoTenants.fabrikam.id, objectId: "unconsented-caller" };
      await assert.rejects(armTokenOnBehalfOf(caller, await apiToken(demoUsers.outsider)), {
        code: "ConsentRequired",
        message: /AADSTS65001.*administrator of tenant .*admin consent/,
      });
    } finally {
      await env.emu.admin("PUT", "consents", { ...consent, scopes: ["user_impersonation"] });
    }
  });

  it("maps Entra ID's refusal of an expired assertion to InvalidAuthenticationToken", async () => {
    const expired = await env.emu.userToken(demoUsers.reader, apiAudience);
    mock.timers.enable({ apis: ["Date"], now: Date.now() + 3 * 3600_000 });
    try {
      await assert.rejects(
        armTokenOnBehalfOf({ tenantId: demoUsers.reader.tenant, objectId: "expired-caller" }, expired),
        { code: "InvalidAuthenticationToken", message: /AADSTS500133/ },
      );
    } finally {
      mock.timers.reset();
    }
  });
});

describe("callerArmToken", () => {
  it("passes an ARM token through, exchanges a user's API token, and has none for a daemon", async () => {
    const armToken = await env.emu.userToken(demoUsers.owner);
    const start = await exchanges();
    assert.equal(await callerArmToken(principalOf(demoUsers.owner), armToken)(), armToken);
    assert.equal(await exchanges(), start, "no exchange for a token that is ARM's already");

    const daemonToken = (await env.emu
      .clientSecret(demoAutomationApp.tenantId, demoAutomationApp.clientId, demoAutomationApp.secret)
      .getToken(`${apiAudience}/.default`))!.token;
    const daemon = {
      objectId: demoAutomationApp.objectId,
      tenantId: demoAutomationApp.tenantId,
      kind: "app" as const,
      name: demoAutomationApp.clientId,
    };
    assert.equal(await callerArmToken(daemon, daemonToken)(), null);
    assert.equal(await exchanges(), start, "a daemon has no user to act for");
  });
});
