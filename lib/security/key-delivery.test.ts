/**
 * Attacks on key delivery, the one endpoint anyone on the internet may call: through lib/ against
 * the emulator and a real database. A request without a well-formed token costs nothing and
 * learns nothing; a player never hears the account's state, vault or key; and a flood on a cold
 * account-key cache costs Key Vault one unwrap.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { demoUsers, demoVaults } from "@/lib/demo/directory";
import type { Db } from "@/lib/db/client";
import { clearKeyTokenPolicy } from "@/test/support/content-key-policy";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import * as service from "@/lib/accounts/service";
import * as monitor from "@/lib/monitor/check";
import * as monitorStore from "@/lib/monitor/store";
import * as hierarchy from "@/lib/keys/hierarchy";
import * as policies from "@/lib/media/content-key-policies";
import * as assets from "@/lib/media/assets";
import * as locators from "@/lib/media/streaming-locators";
import * as delivery from "@/lib/media/key-delivery";

const owner = principalOf(demoUsers.owner);
const ref = contosoAccount("deliveryattacks");
const scope = { principal: owner, ref };
const tokenKey = randomBytes(40);
const issuer = "https://issuer.contoso.localhost";
const audience = "urn:contoso:player";
const KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";
const vault = demoVaults.compliant.name;
const keyName = "rsa-2048";

const lib = { service, monitor, monitorStore, hierarchy, policies, assets, locators, delivery };
let env: AppEnvironment;
let accountId: string;
let principalId: string;
let kid: string;
let contentKey: Buffer;

const validToken = () =>
  new SignJWT({ [KID_CLAIM]: kid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime("5m")
    .sign(tokenKey);

/** One key request as a player sends it; `authorization` is the header's whole value. */
async function deliver(mediaServiceId: string, authorization?: string) {
  const res = await lib.delivery.deliverContentKey(
    new Request(`http://localhost/keydelivery/${mediaServiceId}?kid=${kid}`, {
      headers: authorization ? { authorization } : {},
    }),
    mediaServiceId,
  );
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    challenge: res.headers.get("www-authenticate"),
    bytes,
    text: res.ok ? "" : bytes.toString(),
  };
}

/** Counts the database operations of the app's own client (lib/db/client.ts) while `work` runs. */
async function databaseOperations(work: () => Promise<unknown>): Promise<number> {
  const holder = globalThis as unknown as { byokDb: Db };
  const real = holder.byokDb;
  let operations = 0;
  holder.byokDb = real.$extends({
    query: {
      $allOperations: ({ args, query }) => {
        operations++;
        return query(args);
      },
    },
  }) as unknown as Db;
  try {
    await work();
  } finally {
    holder.byokDb = real;
  }
  return operations;
}

async function check(): Promise<string> {
  assert.ok(await lib.monitorStore.claimAccount("test", accountId, 60_000));
  return (await lib.monitor.checkAccount(accountId, "test")).result;
}

before(async () => {
  env = await startAppEnvironment();
  const account = await env.createCustomerKeyAccount(
    owner,
    ref.name,
    vault,
    `${env.emu.vaultUrl(vault)}/keys/${keyName}`,
  );
  accountId = account.id;
  principalId = account.principalId!;
  const primaryVerificationKey = {
    "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
    keyValue: tokenKey.toString("base64"),
  };
  await lib.policies.putContentKeyPolicyFor(
    scope,
    "signed",
    clearKeyTokenPolicy({ issuer, audience, primaryVerificationKey, requiredClaims: [{ claimType: KID_CLAIM }] }),
  );
  await lib.assets.putAssetFor(scope, "movie", { properties: {} });
  await lib.locators.putStreamingLocatorFor(scope, "stream", {
    properties: {
      assetName: "movie",
      streamingPolicyName: "Predefined_ClearKey",
      defaultContentKeyPolicyName: "signed",
    },
  });
  const [listed] = (await lib.locators.listContentKeysFor(scope, "stream")).contentKeys;
  kid = listed!.id;
  contentKey = Buffer.from(listed!.value!, "base64");
});
after(async () => env?.dispose());

/** What a player must never read in an answer: the account's key, its vault, and its state. */
function assertTellsNothing(text: string, why: string) {
  for (const secret of [
    vault,
    keyName,
    env.emu.vaultUrl(vault),
    "CustomerKeyInaccessible",
    "inaccessible",
    "Key Vault",
    "unwrap",
  ]) {
    assert.ok(!text.toLowerCase().includes(secret.toLowerCase()), `${why}: the answer names '${secret}': ${text}`);
  }
}

describe("attacks on key delivery", () => {
  it("a request without a token, or with a token that is not a JWT, gets 401 and a Bearer challenge before any database or Key Vault work, for any account", async () => {
    const valid = `Bearer ${await validToken()}`;
    assert.ok(
      (await databaseOperations(async () => assert.deepEqual((await deliver(accountId, valid)).bytes, contentKey))) > 0,
      "a valid token is served, and its query counted",
    );
    const missing = randomUUID();
    const attempts: [string, string | undefined][] = [
      ["no Authorization header", undefined],
      ["another scheme", `Basic ${Buffer.from("player:secret").toString("base64")}`],
      ["an empty bearer", "Bearer "],
      ["not a JWT", "Bearer not-a-jwt"],
      ["three segments that are not JSON", "Bearer aaaa.bbbb.cccc"],
      ["a JWE (five segments)", "Bearer eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aaaa.bbbb.cccc"],
    ];
    for (const [why, authorization] of attempts) {
      lib.hierarchy.dropAccountKey(accountId); // a cold cache: any work would show as an unwrap
      await env.emu.admin("POST", "reset");
      const answers: Awaited<ReturnType<typeof deliver>>[] = [];
      const operations = await databaseOperations(async () =>
        answers.push(await deliver(accountId, authorization), await deliver(missing, authorization)),
      );
      const [existing, unknown] = answers;
      assert.equal(existing!.status, 401, `${why}: ${existing!.text}`);
      assert.match(existing!.challenge ?? "", /^Bearer\b/, `${why}: WWW-Authenticate`);
      assert.deepEqual(
        [unknown!.status, unknown!.challenge, unknown!.text],
        [existing!.status, existing!.challenge, existing!.text],
        `${why}: an account that does not exist is answered the same`,
      );
      assert.equal(operations, 0, `${why}: no database operation`);
      assert.equal(await env.emu.keyVaultCalls(), 0, `${why}: no Key Vault call`);
      assert.ok(!existing!.bytes.includes(contentKey), `${why}: no key in the answer`);
    }
  });

  it("a flood of 50 requests on a cold account-key cache costs Key Vault one unwrap (single flight)", async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, validToken));
    lib.hierarchy.dropAccountKey(accountId);
    await env.emu.admin("POST", "reset");
    // Key Vault answers slowly, so that every request arrives while the first unwrap is in flight.
    await env.emu.admin("POST", "faults", { vault, operation: "unwrapKey", kind: "latency", latencyMs: 500 });
    try {
      const answers = await Promise.all(tokens.map((t) => deliver(accountId, `Bearer ${t}`)));
      assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
      assert.ok(answers.every((a) => a.bytes.equals(contentKey)));
      assert.equal(await env.emu.keyVaultCalls(), 1, "one unwrap for 50 requests");
    } finally {
      await env.emu.admin("DELETE", "faults");
    }
  });

  it("concurrent first requests to an account that has no account key yet all get the one key that is stored, none a key of its own that is lost", async () => {
    const seeded = await lib.service.getAccountFor(owner, contosoAccount("contosomedia"));
    assert.equal(seeded.accountKey, null, "a seeded account gets its key on first use");
    const keys = await Promise.all(Array.from({ length: 10 }, () => lib.hierarchy.accountKey(seeded)));
    lib.hierarchy.dropAccountKey(seeded.id);
    const stored = await lib.hierarchy.accountKey(seeded); // unwrapped from the row that won
    assert.deepEqual(
      keys.map((k) => k.equals(stored)),
      keys.map(() => true),
      "every caller holds the stored key: a secret sealed with any other would be lost",
    );
  });

  it("a player of an account whose key access was revoked never learns the vault, the key or the account's state; the owner's API still does", async () => {
    await env.emu.revokeKeys(vault, principalId);
    try {
      // Before the monitor notices: Key Vault itself refuses the unwrap.
      lib.hierarchy.dropAccountKey(accountId);
      const refusedByKeyVault = await deliver(accountId, `Bearer ${await validToken()}`);
      assert.equal(refusedByKeyVault.status, 403, refusedByKeyVault.text);
      assertTellsNothing(refusedByKeyVault.text, "Key Vault refused");

      assert.equal(await check(), "inaccessible");
      const anonymous = await deliver(accountId);
      assert.equal(anonymous.status, 401);
      assertTellsNothing(anonymous.text, "anonymous");
      const player = await deliver(accountId, `Bearer ${await validToken()}`);
      assert.equal(player.status, 403);
      assert.equal(JSON.parse(player.text).error.code, "ContentKeyUnavailable");
      assertTellsNothing(player.text, "player with a valid token");
      assert.deepEqual(JSON.parse(player.text), JSON.parse(refusedByKeyVault.text), "one refusal, whatever the cause");
      assert.ok(!player.bytes.includes(contentKey));

      await assert.rejects(
        lib.locators.listContentKeysFor(scope, "stream"),
        (err: Error & { code?: string }) =>
          err.code === "CustomerKeyInaccessible" &&
          err.message.includes(`${vault}.vault.localhost`) &&
          err.message.includes(keyName),
      );
    } finally {
      await env.emu.grantKeys(vault, principalId);
    }
    assert.equal(await check(), "recovered");
    assert.deepEqual((await deliver(accountId, `Bearer ${await validToken()}`)).bytes, contentKey);
  });
});
