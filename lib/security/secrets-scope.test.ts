/**
 * Attack suite: an account's secrets belong to that account alone. Another account (in the same
 * subscription or another one) that reuses the victim's ids (policy id, streaming locator id,
 * content key id, job id) as its own streaming locator id or content key id gets an independent
 * resource, and deleting it never touches the victim's sealed secrets; inside one account, a
 * client-chosen id that is taken is a 409 Conflict.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import type { AccountRef } from "@/lib/accounts/store";
import { demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";
import type { MediaScope } from "@/lib/media/resource";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import {
  contentKeyIdClaim,
  jobBody,
  mediaLib as lib,
  tokenAudience,
  tokenIssuer,
  tokenPolicyBody,
  transformBody,
} from "@/test/support/media-fixtures";

let env: AppEnvironment;

/** One account with a token-restricted policy, an asset and what it needs to create locators. */
interface Tenant {
  scope: MediaScope;
  accountId: string;
  tokenKey: Buffer;
}

const victimKid = randomUUID();
const victimKey = randomBytes(16);
let victim: Tenant;
let sameSubscription: Tenant;
let otherSubscription: Tenant;
/** The victim's ids an attacker can learn or guess. */
let victimIds: { policyId: string; locatorId: string; contentKeyId: string; jobId: string };
let victimSecrets: string[];

const clearKeyLocator = (extra: Record<string, unknown> = {}) => ({
  properties: {
    assetName: "movie",
    streamingPolicyName: "Predefined_ClearKey",
    defaultContentKeyPolicyName: "signed",
    ...extra,
  },
});
const clearLocator = (streamingLocatorId: string) => ({
  properties: { assetName: "movie", streamingPolicyName: "Predefined_ClearStreamingOnly", streamingLocatorId },
});

async function tenant(owner: ReturnType<typeof principalOf>, ref: AccountRef): Promise<Tenant> {
  const account = await lib.service.createAccountFor(owner, { ...ref, location: "westus2", identityType: "None" });
  const scope = { principal: owner, ref };
  const tokenKey = randomBytes(32);
  await lib.policies.putContentKeyPolicyFor(scope, "signed", tokenPolicyBody(tokenKey));
  await lib.assets.putAssetFor(scope, "movie", {});
  return { scope, accountId: account.id, tokenKey };
}

async function deliver(t: Tenant, kid: string) {
  const jwt = await new SignJWT({ [contentKeyIdClaim]: kid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(tokenIssuer)
    .setAudience(tokenAudience)
    .setExpirationTime("5m")
    .sign(t.tokenKey);
  const res = await lib.delivery.deliverContentKey(
    new Request(`http://localhost/keydelivery/${t.accountId}?kid=${kid}`, {
      headers: { authorization: `Bearer ${jwt}` },
    }),
    t.accountId,
  );
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

const secretsOf = async (accountId: string) =>
  (
    await env.database.db.accountSecret.findMany({
      where: { accountId },
      select: { kind: true, ownerId: true, name: true },
    })
  )
    .map((s) => `${s.kind}:${s.ownerId}/${s.name}`)
    .sort();

/** The victim's secrets are all there and open: its token key, its content key, and key delivery. */
async function assertVictimIntact(after: string) {
  assert.deepEqual(
    await secretsOf(victim.accountId),
    victimSecrets,
    `${after}: the victim's sealed secrets are all there`,
  );
  const properties = (await lib.policies.getPolicyPropertiesWithSecretsFor(victim.scope, "signed")) as {
    options: { restriction: { primaryVerificationKey: { keyValue?: string } } }[];
  };
  assert.equal(
    properties.options[0]!.restriction.primaryVerificationKey.keyValue,
    victim.tokenKey.toString("base64"),
    `${after}: the victim's token key opens`,
  );
  assert.deepEqual(
    (await lib.locators.listContentKeysFor(victim.scope, "stream")).contentKeys.map((k) => [k.id, k.value]),
    [[victimKid, victimKey.toString("base64")]],
    `${after}: the victim's content key opens`,
  );
  assert.deepEqual(
    await deliver(victim, victimKid),
    { status: 200, bytes: victimKey },
    `${after}: the victim's players still get their key`,
  );
}

const isConflict = (err: Error & { code?: string }) => err.code === "Conflict";

before(async () => {
  env = await startAppEnvironment();
  const owner = principalOf(demoUsers.owner);
  victim = await tenant(owner, contosoAccount("victim"));
  sameSubscription = await tenant(owner, contosoAccount("neighbour"));
  otherSubscription = await tenant(principalOf(demoUsers.outsider), {
    subscriptionId: demoSubscriptions.fabrikamMedia.id,
    resourceGroup: demoResourceGroup,
    name: "stranger",
  });

  const locator = await lib.locators.putStreamingLocatorFor(
    victim.scope,
    "stream",
    clearKeyLocator({ contentKeys: [{ id: victimKid, value: victimKey.toString("base64") }] }),
  );
  await lib.transforms.putTransformFor(victim.scope, "copy", transformBody);
  await lib.jobs.putJobFor({ ...victim.scope, parent: "copy" }, "job1", jobBody("movie"));
  const policy = await lib.policies.getContentKeyPolicyFor(victim.scope, "signed");
  const job = await env.database.db.job.findFirstOrThrow({
    where: { accountId: victim.accountId, name: "job1" },
    select: { id: true },
  });
  victimIds = {
    policyId: (policy.properties as { policyId: string }).policyId,
    locatorId: (locator.json.properties as { streamingLocatorId: string }).streamingLocatorId,
    contentKeyId: victimKid,
    jobId: job.id,
  };
  victimSecrets = await secretsOf(victim.accountId);
  assert.deepEqual(victimSecrets.map((s) => s.split(":")[0]).sort(), ["contentKey", "jobInputUrl", "tokenKey"]);
  await assertVictimIntact("setup");
});
after(() => env?.dispose());

describe("attack: reusing another account's ids to reach its secrets", () => {
  for (const [where, attacker] of [
    ["the same subscription", () => sameSubscription],
    ["another subscription", () => otherSubscription],
  ] as const) {
    it(`a locator in ${where} created with the victim's policy, locator, content key or job id as its streamingLocatorId, then deleted, leaves the victim's secrets`, async () => {
      const { scope } = attacker();
      for (const [what, id] of Object.entries(victimIds)) {
        const created = await lib.locators.putStreamingLocatorFor(scope, `reuse-${what}`, clearLocator(id));
        assert.equal(created.created, true, `${what}: an id of another account is free in this one`);
        assert.equal(
          (await lib.locators.getStreamingLocatorFor(scope, `reuse-${what}`)).properties.streamingLocatorId,
          id,
        );
        assert.equal(await lib.locators.deleteStreamingLocatorFor(scope, `reuse-${what}`), true);
        await assertVictimIntact(`deleting a locator in ${where} with the victim's ${what}`);
      }
    });

    it(`a content-key locator in ${where} with the victim's ids as locator id and content key id is independent, and deleting its asset leaves the victim's secrets`, async () => {
      const t = attacker();
      const ownKey = randomBytes(16);
      await lib.locators.putStreamingLocatorFor(
        t.scope,
        "twin",
        clearKeyLocator({
          streamingLocatorId: victimIds.policyId,
          contentKeys: [{ id: victimKid, value: ownKey.toString("base64") }],
        }),
      );
      await lib.locators.putStreamingLocatorFor(
        t.scope,
        "twin2",
        clearKeyLocator({ streamingLocatorId: victimIds.locatorId, contentKeys: [{ id: victimIds.policyId }] }),
      );
      await lib.locators.putStreamingLocatorFor(
        t.scope,
        "twin3",
        clearKeyLocator({ streamingLocatorId: victimIds.jobId, contentKeys: [{ id: victimIds.locatorId }] }),
      );
      assert.deepEqual(
        await deliver(t, victimKid),
        { status: 200, bytes: ownKey },
        "the attacker's key delivery serves the attacker's key",
      );
      await assertVictimIntact(`locators in ${where} exist`);
      assert.equal(await lib.locators.deleteStreamingLocatorFor(t.scope, "twin"), true);
      await assertVictimIntact(`deleting a locator in ${where}`);
      assert.equal(await lib.assets.deleteAssetFor(t.scope, "movie"), true, "deletes the asset with its locators");
      await assertVictimIntact(`deleting an asset in ${where} with its locators`);
      assert.equal((await deliver(t, victimKid)).status, 401, "the attacker's copy is gone: an unknown key");
      await lib.assets.putAssetFor(t.scope, "movie", {});
    });
  }

  it("inside one account, a taken streamingLocatorId or content key id is a 409 Conflict; the account's own policy or job id as a locator id does not reach their secrets", async () => {
    await assert.rejects(
      lib.locators.putStreamingLocatorFor(victim.scope, "same-locator-id", clearLocator(victimIds.locatorId)),
      isConflict,
    );
    await assert.rejects(
      lib.locators.putStreamingLocatorFor(
        victim.scope,
        "same-key-id",
        clearKeyLocator({ contentKeys: [{ id: victimKid }] }),
      ),
      isConflict,
    );
    for (const id of [victimIds.policyId, victimIds.jobId]) {
      assert.equal((await lib.locators.putStreamingLocatorFor(victim.scope, "own-id", clearLocator(id))).created, true);
      assert.equal(await lib.locators.deleteStreamingLocatorFor(victim.scope, "own-id"), true);
      await assertVictimIntact("deleting a locator with the account's own policy or job id");
    }
  });
});
