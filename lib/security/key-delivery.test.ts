/**
 * Attacks on key delivery, the one endpoint anyone on the internet may call: through lib/ against
 * the emulator and a real database. A request without a well-formed token costs nothing and
 * learns nothing; a token that does not verify learns nothing either (unknown account or key,
 * inaccessible account, ended locator: one answer); a player never hears the account's state,
 * vault or key; and a flood on a cold account-key cache costs Key Vault one unwrap.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { demoUsers, demoVaults } from "@/lib/demo/directory";
import type { Db } from "@/lib/db/client";
import { clearKeyTokenPolicy } from "@/test/support/content-key-policy";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import * as service from "@/lib/accounts/service";
import * as monitor from "@/lib/monitor/check";
import * as monitorStore from "@/lib/monitor/store";
import * as hierarchy from "@/lib/keys/hierarchy";
import { policies } from "@/test/support/media-api";
import * as assets from "@/lib/media/assets";
import { locators } from "@/test/support/media-api";
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
const rsaPair = generateKeyPair("RS256", { modulusLength: 2048 });

const lib = { service, monitor, monitorStore, hierarchy, policies, assets, locators, delivery };
let env: AppEnvironment;
let accountId: string;
let principalId: string;
let kid: string;
let contentKey: Buffer;
/** The RSA key that signs tokens for the accounts' "rsa" policies (they need no account key to verify). */
let rsaSigner: CryptoKey;
/** The content key ids of the account's other locators: one of the "rsa" policy, one whose end time has passed. */
let rsaKid: string;
let endedKid: string;
/** A second account, whose key access the tests revoke: a "signed" (symmetric) and an "rsa" locator. */
const revokedRef = contosoAccount("deliveryrevoked");
let revoked: { id: string; principalId: string; kid: string; rsaKid: string; rsaKey: Buffer };

const validToken = (forKid = kid) =>
  new SignJWT({ [KID_CLAIM]: forKid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime("5m")
    .sign(tokenKey);

const validRsaToken = (forKid: string) =>
  new SignJWT({ [KID_CLAIM]: forKid })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime("5m")
    .sign(rsaSigner);

/** A token with the right issuer, audience, expiry and key id that no key signed: `alg` as given, the signature garbage (or none). */
function unsignedToken(alg: "HS256" | "RS256" | "none", forKid: string) {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const claims = { iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300, [KID_CLAIM]: forKid };
  const signature = alg === "none" ? "" : randomBytes(alg === "HS256" ? 32 : 256).toString("base64url");
  return `${part({ alg, typ: "JWT" })}.${part(claims)}.${signature}`;
}

/** One key request as a player sends it; `authorization` is the header's whole value. */
async function deliver(mediaServiceId: string, authorization?: string, forKid = kid) {
  const res = await lib.delivery.deliverContentKey(
    new Request(`http://localhost/keydelivery/${mediaServiceId}?kid=${forKid}`, {
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

async function check(id = accountId): Promise<string> {
  assert.ok(await lib.monitorStore.claimAccount("test", id, 60_000));
  return (await lib.monitor.checkAccount(id, "test")).result;
}

/** Puts the "signed" (symmetric) and "rsa" policies, an asset, and a locator named `locator` of `policy`; returns its content key. */
async function streamWith(at: typeof scope, locator: string, policy: "signed" | "rsa", endTime?: string) {
  const properties = { assetName: "movie", streamingPolicyName: "Predefined_ClearKey", endTime };
  await lib.locators.putStreamingLocatorFor(at, locator, {
    properties: { ...properties, defaultContentKeyPolicyName: policy },
  });
  const [listed] = (await lib.locators.listContentKeysFor(at, locator)).contentKeys;
  return { kid: listed!.id, key: Buffer.from(listed!.value!, "base64") };
}

async function putPolicies(at: typeof scope) {
  const rsaJwk = await exportJWK((await rsaPair).publicKey);
  const requiredClaims = [{ claimType: KID_CLAIM }];
  const verificationKeys = {
    signed: {
      "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
      keyValue: tokenKey.toString("base64"),
    },
    rsa: {
      "@odata.type": "#Microsoft.Media.ContentKeyPolicyRsaTokenKey",
      modulus: Buffer.from(rsaJwk.n!, "base64url").toString("base64"),
      exponent: Buffer.from(rsaJwk.e!, "base64url").toString("base64"),
    },
  };
  for (const [name, primaryVerificationKey] of Object.entries(verificationKeys))
    await lib.policies.putContentKeyPolicyFor(
      at,
      name,
      clearKeyTokenPolicy({ issuer, audience, primaryVerificationKey, requiredClaims }),
    );
  await lib.assets.putAssetFor(at, "movie", {});
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
  rsaSigner = (await rsaPair).privateKey;
  await putPolicies(scope);
  ({ kid, key: contentKey } = await streamWith(scope, "stream", "signed"));
  rsaKid = (await streamWith(scope, "rsastream", "rsa")).kid;
  endedKid = (await streamWith(scope, "ended", "signed", new Date(Date.now() - 60_000).toISOString())).kid;

  const other = await env.createCustomerKeyAccount(
    owner,
    revokedRef.name,
    vault,
    `${env.emu.vaultUrl(vault)}/keys/${keyName}`,
  );
  const revokedScope = { principal: owner, ref: revokedRef };
  await putPolicies(revokedScope);
  const rsa = await streamWith(revokedScope, "rsastream", "rsa");
  revoked = {
    id: other.id,
    principalId: other.principalId!,
    kid: (await streamWith(revokedScope, "stream", "signed")).kid,
    rsaKid: rsa.kid,
    rsaKey: rsa.key,
  };
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

/** What a caller can compare between two answers. */
const answerOf = (a: Awaited<ReturnType<typeof deliver>>) => ({
  status: a.status,
  challenge: a.challenge,
  body: a.text,
});

describe("attacks on key delivery", () => {
  it("a request without a token, or with a token that is not a JWT, gets 401 and a Bearer challenge without Key Vault work (and, for a token that is not a JWT, without database work), for any account", async () => {
    const valid = `Bearer ${await validToken()}`;
    lib.delivery.deliveryCache().drop(null); // a cold delivery cache: the request reads the database
    assert.ok(
      (await databaseOperations(async () => assert.deepEqual((await deliver(accountId, valid)).bytes, contentKey))) > 0,
      "a valid token is served, and its query counted",
    );
    const missing = randomUUID();
    // RFC 6750 §3.1: no error code when no token was sent, `invalid_token` for a token that was.
    const noToken = "Bearer";
    const invalidToken = 'Bearer error="invalid_token"';
    const attempts: [string, string | undefined, string][] = [
      ["no Authorization header", undefined, noToken],
      ["another scheme", `Basic ${Buffer.from("player:secret").toString("base64")}`, noToken],
      ["an empty bearer", "Bearer ", noToken],
      ["not a JWT", "Bearer not-a-jwt", invalidToken],
      ["three segments that are not JSON", "Bearer aaaa.bbbb.cccc", invalidToken],
      ["a JWE (five segments)", "Bearer eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..aaaa.bbbb.cccc", invalidToken],
    ];
    for (const [why, authorization, challenge] of attempts) {
      lib.hierarchy.dropAccountKey(accountId); // a cold cache: any work would show as an unwrap
      await env.emu.admin("POST", "reset");
      const answers: Awaited<ReturnType<typeof deliver>>[] = [];
      const operations = await databaseOperations(async () =>
        answers.push(await deliver(accountId, authorization), await deliver(missing, authorization)),
      );
      const [existing, unknown] = answers;
      assert.equal(existing!.status, 401, `${why}: ${existing!.text}`);
      assert.equal(existing!.challenge, challenge, `${why}: WWW-Authenticate`);
      assert.deepEqual(
        [unknown!.status, unknown!.challenge, unknown!.text],
        [existing!.status, existing!.challenge, existing!.text],
        `${why}: an account that does not exist is answered the same`,
      );
      // Without a token the policy must be looked up (an open restriction delivers without one, as
      // in Azure): one indexed read per request at most, and still no Key Vault work. A token that
      // was sent but is not a JWT is refused before any database work.
      if (challenge === noToken) assert.ok(operations <= 2, `${why}: one lookup per request at most (${operations})`);
      else assert.equal(operations, 0, `${why}: no database operation`);
      assert.equal(await env.emu.keyVaultCalls(), 0, `${why}: no Key Vault call`);
      assert.ok(!existing!.bytes.includes(contentKey), `${why}: no key in the answer`);
    }
  });

  it("a well-formed token that no key signed (HS256 or RS256 with a garbage signature, alg none) gets one 401, body and challenge for an unknown account, an unknown key id, an inaccessible account's keys and an ended locator's key, and costs no unwrap it does not need", async () => {
    await env.emu.revokeKeys(vault, revoked.principalId);
    let reference: ReturnType<typeof answerOf> | undefined;
    try {
      assert.equal(await check(revoked.id), "inaccessible");
      // [what, account, key id, Key Vault calls of an HS256 token on a cold cache]: only a symmetric
      // policy of an account that can use its key needs the account key to verify (one unwrap, then cached).
      const targets: [string, string, string, number][] = [
        ["an active key (bad signature)", accountId, kid, 1],
        ["an active key of the RSA policy", accountId, rsaKid, 0],
        ["an account that does not exist", randomUUID(), kid, 0],
        ["a key id that does not exist", accountId, randomUUID(), 0],
        ["an inaccessible account's key", revoked.id, revoked.kid, 0],
        ["an inaccessible account's key of the RSA policy", revoked.id, revoked.rsaKid, 0],
        ["a key whose locator has ended", accountId, endedKid, 1],
      ];
      for (const alg of ["HS256", "RS256", "none"] as const) {
        for (const [why, account, forKid, hs256Unwraps] of targets) {
          lib.hierarchy.dropAccountKey(accountId); // cold caches: any work would show as an unwrap
          lib.hierarchy.dropAccountKey(revoked.id);
          await env.emu.admin("POST", "reset");
          const answer = answerOf(await deliver(account, `Bearer ${unsignedToken(alg, forKid)}`, forKid));
          reference ??= answer;
          assert.deepEqual(answer, reference, `${alg} token to ${why}: the same answer`);
          assert.equal(
            await env.emu.keyVaultCalls(),
            alg === "HS256" ? hs256Unwraps : 0,
            `${alg} token to ${why}: Key Vault calls`,
          );
        }
      }
      assert.equal(reference!.status, 401);
      assert.equal(reference!.challenge, 'Bearer error="invalid_token"');
      assertTellsNothing(reference!.body, "unsigned token");

      // Valid tokens on the inaccessible account: a symmetric one cannot be verified (its key is
      // sealed under the account key), so it reads as any other; an RSA one is verified, then refused.
      const symmetric = await deliver(revoked.id, `Bearer ${await validToken(revoked.kid)}`, revoked.kid);
      assert.deepEqual(answerOf(symmetric), reference, "valid symmetric token, inaccessible account");
      const rsa = await deliver(revoked.id, `Bearer ${await validRsaToken(revoked.rsaKid)}`, revoked.rsaKid);
      assert.equal(rsa.status, 403, rsa.text);
      assert.equal(JSON.parse(rsa.text).error.code, "ContentKeyUnavailable");
      assertTellsNothing(rsa.text, "valid RSA token, inaccessible account");
      assert.ok(!rsa.bytes.includes(revoked.rsaKey));
    } finally {
      await env.emu.grantKeys(vault, revoked.principalId);
    }
    assert.equal(await check(revoked.id), "recovered");
    const served = await deliver(revoked.id, `Bearer ${await validRsaToken(revoked.rsaKid)}`, revoked.rsaKid);
    assert.deepEqual(served.bytes, revoked.rsaKey, "a valid token still gets the key");
    assert.deepEqual((await deliver(accountId, `Bearer ${await validToken()}`)).bytes, contentKey);
    // Once verified, a player may hear why: the locator has ended.
    const ended = await deliver(accountId, `Bearer ${await validToken(endedKid)}`, endedKid);
    assert.equal(ended.status, 403, ended.text);
    assert.equal(JSON.parse(ended.text).error.code, "StreamingLocatorNotActive");
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
    const unverified = await deliver(accountId, `Bearer ${unsignedToken("HS256", kid)}`);
    await env.emu.revokeKeys(vault, principalId);
    try {
      // Before the monitor notices: Key Vault itself refuses the unwrap. A token of the symmetric
      // policy cannot be verified without the account key: the answer to an unsigned token.
      lib.hierarchy.dropAccountKey(accountId);
      const refusedByKeyVault = await deliver(accountId, `Bearer ${await validToken()}`);
      assert.deepEqual(answerOf(refusedByKeyVault), answerOf(unverified), "Key Vault refused, symmetric");
      // A token of the RSA policy is verified first: its player learns only that no key can be had now.
      const rsaRefusedByKeyVault = await deliver(accountId, `Bearer ${await validRsaToken(rsaKid)}`, rsaKid);
      assert.equal(rsaRefusedByKeyVault.status, 403, rsaRefusedByKeyVault.text);
      assert.equal(JSON.parse(rsaRefusedByKeyVault.text).error.code, "ContentKeyUnavailable");
      assertTellsNothing(rsaRefusedByKeyVault.text, "Key Vault refused, RSA");

      assert.equal(await check(), "inaccessible");
      const anonymous = await deliver(accountId);
      assert.deepEqual(
        [anonymous.status, anonymous.challenge],
        [401, "Bearer"],
        "no token: a challenge without an error code (RFC 6750 §3.1)",
      );
      assertTellsNothing(anonymous.text, "anonymous");
      const player = await deliver(accountId, `Bearer ${await validToken()}`);
      assert.deepEqual(answerOf(player), answerOf(unverified), "inaccessible, symmetric: not verifiable");
      const rsaPlayer = await deliver(accountId, `Bearer ${await validRsaToken(rsaKid)}`, rsaKid);
      assert.deepEqual(answerOf(rsaPlayer), answerOf(rsaRefusedByKeyVault), "one refusal, whatever the cause");
      for (const answer of [player, rsaPlayer]) assert.ok(!answer.bytes.includes(contentKey));

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
