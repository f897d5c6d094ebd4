/**
 * Attack suite: ARM names compare case-insensitively and exactly, for accounts (resource group and
 * name) and every media sub-resource. Two concurrent PUTs that differ only in case make one
 * resource; a GET in another case finds it and shows the display case of its first create; and a
 * name is never a pattern ('_' matches only '_').
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";
import type { MediaScope } from "@/lib/media/resource";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { jobBody, mediaLib as lib, tokenPolicyBody, transformBody } from "@/test/support/media-fixtures";

const owner = principalOf(demoUsers.owner);
const subscriptionId = demoSubscriptions.contosoMedia.id;

let env: AppEnvironment;
let scope: MediaScope;
/** The account's ARM id in its display case. */
const accountId = `/subscriptions/${subscriptionId}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/names`;

const newAccount = (resourceGroup: string, name: string) => ({
  subscriptionId,
  resourceGroup,
  name,
  location: "westus2",
  identityType: "None" as const,
});
const isCode = (code: string) => (err: Error & { code?: string }) => err.code === code;

const policyKey = randomBytes(32);
const policyBody = tokenPolicyBody(policyKey);

/** Two concurrent PUTs of names that differ in case: exactly one creates; the name shown is the creator's. */
async function putConcurrently(
  names: [string, string],
  put: (name: string) => Promise<{ created: boolean }>,
): Promise<string> {
  const results = await Promise.allSettled(names.map(put));
  const created = names.filter(
    (_, i) =>
      results[i]!.status === "fulfilled" && (results[i] as PromiseFulfilledResult<{ created: boolean }>).value.created,
  );
  assert.equal(
    created.length,
    1,
    `one of ${names.join(" and ")} creates: ${JSON.stringify(results.map((r) => (r.status === "fulfilled" ? { created: r.value.created } : (r.reason as Error).message)))}`,
  );
  for (const r of results)
    if (r.status === "rejected")
      assert.equal(
        (r.reason as { code?: string }).code,
        "Conflict",
        "the other is an update, or a 409 where the resource cannot change",
      );
  return created[0]!;
}

before(async () => {
  env = await startAppEnvironment();
  await lib.service.createAccountFor(owner, newAccount(demoResourceGroup, "names"));
  scope = { principal: owner, ref: contosoAccount("names") };
});
after(() => env?.dispose());

describe("attack: names that differ only in case, or that read as a pattern", () => {
  it("two concurrent account PUTs for Dup-RG/…/dupacct and dup-rg/…/dupacct create one account (one 201, one 200); a GET in another case shows the first create's case", async () => {
    const results = await Promise.all(
      ["Dup-RG", "dup-rg"].map((rg) => lib.changes.putAccountFor(owner, newAccount(rg, "dupacct"))),
    );
    assert.deepEqual(results.map((r) => r.created).sort(), [false, true]);
    assert.equal(results[0]!.account.id, results[1]!.account.id, "both answers are the same account");
    assert.equal(await env.database.db.mediaAccount.count({ where: { subscriptionId, name: "dupacct" } }), 1);
    const first = results.find((r) => r.created)!.account;
    const found = await lib.service.getAccountFor(owner, { subscriptionId, resourceGroup: "DUP-rg", name: "DupAcct" });
    assert.deepEqual([found.id, found.resourceGroup, found.name], [first.id, first.resourceGroup, "dupacct"]);
    const again = await lib.changes.putAccountFor(owner, newAccount("DUP-RG", "DUPACCT"));
    assert.deepEqual(
      [again.created, again.account.resourceGroup],
      [false, first.resourceGroup],
      "a later PUT in another case updates, and keeps the display case",
    );
  });

  it("media_rg does not find media-rg: '_' in a resource group name is a character, not a wildcard", async () => {
    const wildcard = { subscriptionId, resourceGroup: "media_rg", name: "names" };
    await assert.rejects(lib.service.getAccountFor(owner, wildcard), isCode("ResourceNotFound"));
    assert.deepEqual(await lib.service.listAccountsFor(owner, { subscriptionId, resourceGroup: "media_rg" }), []);
    assert.ok(
      (await lib.service.listAccountsFor(owner, { subscriptionId, resourceGroup: "MEDIA-RG" })).some(
        (a) => a.name === "names",
      ),
      "the real group, in another case, lists it",
    );
    assert.equal(
      await lib.service.deleteAccountFor(owner, wildcard),
      false,
      "deleting media_rg/names leaves media-rg/names",
    );
    const other = await lib.changes.putAccountFor(owner, newAccount("media_rg", "names"));
    assert.equal(other.created, true, "media_rg/names is another account");
    assert.notEqual(other.account.id, (await lib.service.getAccountFor(owner, scope.ref)).id);
  });

  it("concurrent differently-cased PUTs of an asset, a content key policy and a transform make one resource each (one 201, one 200), found in any case under the first create's name", async () => {
    const asset = await putConcurrently(["Movie", "MOVIE"], (name) => lib.assets.putAssetFor(scope, name, {}));
    assert.equal((await lib.assets.getAssetFor(scope, "movie")).name, asset);
    assert.equal((await lib.assets.listAssetsFor(scope)).length, 1);

    const policy = await putConcurrently(["Signed", "SIGNED"], (name) =>
      lib.policies.putContentKeyPolicyFor(scope, name, policyBody),
    );
    assert.equal((await lib.policies.getContentKeyPolicyFor(scope, "signed")).name, policy);
    assert.equal((await lib.policies.listContentKeyPoliciesFor(scope)).length, 1);
    const secrets = (await lib.policies.getPolicyPropertiesWithSecretsFor(scope, "sIgNeD")) as {
      options: { restriction: { primaryVerificationKey: { keyValue?: string } } }[];
    };
    assert.equal(
      secrets.options[0]!.restriction.primaryVerificationKey.keyValue,
      policyKey.toString("base64"),
      "the surviving policy's token key opens",
    );

    const transform = await putConcurrently(["Copy", "COPY"], (name) =>
      lib.transforms.putTransformFor(scope, name, transformBody),
    );
    assert.equal((await lib.transforms.getTransformFor(scope, "copy")).name, transform);
    assert.equal((await lib.transforms.listTransformsFor(scope)).length, 1);

    const shouting = {
      principal: owner,
      ref: { subscriptionId, resourceGroup: demoResourceGroup.toUpperCase(), name: "NAMES" },
    };
    assert.equal(
      (await lib.assets.getAssetFor(shouting, "MOVIE")).id,
      `${accountId}/assets/${asset}`,
      "the id shows every name in its display case",
    );
  });

  it("concurrent differently-cased PUTs of a streaming locator or a job make one (one 201, one 409: they cannot change), found in any case; references by name ignore case too", async () => {
    const body = {
      properties: {
        assetName: "mOvIe",
        streamingPolicyName: "Predefined_ClearKey",
        defaultContentKeyPolicyName: "signed",
      },
    };
    const locator = await putConcurrently(["Stream", "STREAM"], (name) =>
      lib.locators.putStreamingLocatorFor(scope, name, body),
    );
    assert.equal((await lib.locators.getStreamingLocatorFor(scope, "stream")).name, locator);
    assert.equal((await lib.locators.listStreamingLocatorsFor(scope)).length, 1);
    assert.equal((await lib.locators.listContentKeysFor(scope, "STREAM")).contentKeys.length, 1);
    assert.deepEqual(
      (await lib.locators.listAssetStreamingLocatorsFor(scope, "MOVIE")).streamingLocators.map((l) => l.name),
      [locator],
      "the asset, named in another case, lists its locator",
    );
    await assert.rejects(
      lib.policies.deleteContentKeyPolicyFor(scope, "SIGNED"),
      isCode("Conflict"),
      "a policy in use, named in any case, is not deleted",
    );

    const jobScope = { ...scope, parent: "COPY" };
    const job = await putConcurrently(["Job1", "JOB1"], (name) => lib.jobs.putJobFor(jobScope, name, jobBody("MOVIE")));
    assert.equal((await lib.jobs.getJobFor({ ...scope, parent: "copy" }, "job1")).name, job);
    const transform = (await lib.transforms.listTransformsFor(scope))[0]!.name;
    assert.equal(
      (await lib.jobs.getJobFor({ ...scope, parent: "cOpY" }, "JoB1")).id,
      `${accountId}/transforms/${transform}/jobs/${job}`,
    );
    assert.equal((await lib.jobs.listJobsFor(jobScope)).length, 1);

    assert.equal(await lib.assets.deleteAssetFor(scope, "MoViE"), true);
    assert.equal(
      (await lib.locators.listStreamingLocatorsFor(scope)).length,
      0,
      "deleting the asset in another case deleted its locators",
    );
  });

  it("'_' in a media resource name is a character: mov_e finds neither movie nor Movie", async () => {
    await lib.assets.putAssetFor(scope, "movie", {});
    await assert.rejects(lib.assets.getAssetFor(scope, "mov_e"), isCode("ResourceNotFound"));
    assert.equal((await lib.assets.putAssetFor(scope, "mov_e", {})).created, true, "mov_e is another asset");
    assert.equal((await lib.assets.listAssetsFor(scope)).length, 2);
  });
});
