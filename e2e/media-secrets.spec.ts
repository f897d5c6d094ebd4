/**
 * The secrets under the account key, end to end: the official @azure/arm-mediaservices client
 * through the emulator's ARM, the worker running a JobInputHttp job against a loopback server,
 * key delivery to a player page on another origin in Chromium, and all of it refused while the
 * customer key is revoked and back, with the same keys, once access returns.
 */
import { createHash, randomBytes } from "node:crypto";
import type { AzureMediaServices } from "@azure/arm-mediaservices";
import { SignJWT } from "jose";
import { demoResourceGroup, demoTenants, demoUsers, demoVaults } from "../lib/demo/directory";
import { armCall, automationClients, grantKeyAccess, revokeKeyAccess, symmetricTokenPolicy } from "./arm";
import { findInDatabase, encodingsOf } from "../test/support/database-scan";
import { query } from "./db";
import { expect, test } from "./fixtures";
import { MediaPage } from "./pages/media-page";
import { startInputServer } from "./input-server";
import { e2eStack } from "./stack";

test.describe.configure({ mode: "serial" });

const rg = demoResourceGroup;
const KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";
const issuer = "https://sts.contoso.localhost";
const audience = "urn:contoso:player";
const tokenKey = randomBytes(40);
const input = randomBytes(150_000);
const sas = `sv=2024-11-04&sig=${randomBytes(24).toString("base64url")}`;
// Named in beforeAll, for the worker that runs this serial file.
let account: string;
let doomed: string;

let client: AzureMediaServices;
let server: Awaited<ReturnType<typeof startInputServer>>;
let origin: string;
let mediaServiceId: string;
const principals: Record<string, string> = {};
const keys: { kid: string; value: string }[] = [];

const token = (kid: string, twist: { key?: Uint8Array; audience?: string; expired?: boolean } = {}) =>
  new SignJWT({ [KID_CLAIM]: kid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setAudience(twist.audience ?? audience)
    .setExpirationTime(twist.expired ? Math.floor(Date.now() / 1000) - 600 : "10m")
    .sign(twist.key ?? tokenKey);

async function createBound(name: string) {
  const created = await client.mediaservices.beginCreateOrUpdateAndWait(rg, name, {
    location: "westus2",
    identity: { type: "SystemAssigned" },
  });
  principals[name] = created.identity!.principalId!;
  await grantKeyAccess(principals[name]!, [demoVaults.compliant.name], demoTenants.contoso.id);
  const keyIdentifier = `https://${demoVaults.compliant.name}.vault.localhost:${e2eStack.emulatorPort}/keys/rsa-2048`;
  const bound = await client.mediaservices.beginUpdateAndWait(rg, name, {
    encryption: { type: "CustomerKey", keyVaultProperties: { keyIdentifier } },
  });
  expect(bound.encryption?.status).toBe("Active");
  return bound;
}

async function waitForStatus(name: string, status: string) {
  await expect
    .poll(async () => (await client.mediaservices.get(rg, name)).encryption?.status, {
      timeout: 30_000,
      message: `${name} becomes ${status}`,
    })
    .toBe(status);
}

test.beforeAll(async ({ uniqueName }) => {
  account = uniqueName("secrets");
  doomed = uniqueName("doomed");
  client = automationClients().media;
  // The input needs its SAS: proof the worker used the full URL the owner gave.
  server = await startInputServer({ sas, body: input });
  origin = server.origin;
  mediaServiceId = (await createBound(account)).mediaServiceId!;
  await createBound(doomed);
});

test.afterAll(async () => {
  await server?.close();
});

test("the official client: a content key policy with a symmetric key, a streaming locator with content keys, a JobInputHttp job to Finished", async () => {
  test.setTimeout(90_000);
  const policy = await client.contentKeyPolicies.createOrUpdate(
    rg,
    account,
    "signed",
    symmetricTokenPolicy({
      issuer,
      audience,
      keyValue: tokenKey,
      requiredClaims: [{ claimType: KID_CLAIM }],
      name: "clearkey",
      description: "clear key for signed-in players",
    }),
  );
  expect(policy.policyId).toMatch(/^[0-9a-f-]{36}$/);
  const read = await client.contentKeyPolicies.get(rg, account, "signed");
  expect(JSON.stringify(read)).not.toContain(tokenKey.toString("base64"));
  const withSecrets = await client.contentKeyPolicies.getPolicyPropertiesWithSecrets(rg, account, "signed");
  const primary = (withSecrets.options[0]!.restriction as { primaryVerificationKey: { keyValue: Uint8Array } })
    .primaryVerificationKey;
  expect(Buffer.from(primary.keyValue).equals(tokenKey)).toBe(true);

  await client.assets.createOrUpdate(rg, account, "movie", { description: "the job's output" });
  const locator = await client.streamingLocators.create(rg, account, "stream", {
    assetName: "movie",
    streamingPolicyName: "Predefined_ClearKey",
    defaultContentKeyPolicyName: "signed",
  });
  expect(locator.contentKeys?.[0]?.value).toBeUndefined();
  expect(
    (await client.assets.listStreamingLocators(rg, account, "movie")).streamingLocators?.map((l) => l.name),
  ).toEqual(["stream"]);
  const listed = (await client.streamingLocators.listContentKeys(rg, account, "stream")).contentKeys!;
  expect(listed).toHaveLength(1);
  expect(Buffer.from(listed[0]!.value!, "base64")).toHaveLength(16);
  keys.push({ kid: listed[0]!.id, value: listed[0]!.value! });

  await client.transforms.createOrUpdate(rg, account, "copy", {
    outputs: [
      {
        preset: {
          odataType: "#Microsoft.Media.BuiltInStandardEncoderPreset",
          presetName: "CopyAllBitrateNonInterleaved",
        } as never,
      },
    ],
  });
  expect(
    (
      await client.transforms.update(rg, account, "copy", {
        description: "copies the input",
        outputs: [
          {
            preset: {
              odataType: "#Microsoft.Media.BuiltInStandardEncoderPreset",
              presetName: "CopyAllBitrateNonInterleaved",
            } as never,
          },
        ],
      })
    ).description,
  ).toBe("copies the input");
  const job = await client.jobs.create(rg, account, "copy", "first", {
    input: {
      odataType: "#Microsoft.Media.JobInputHttp",
      baseUri: `${origin}/media?${sas}`,
      files: ["input.mp4"],
    } as never,
    outputs: [{ odataType: "#Microsoft.Media.JobOutputAsset", assetName: "movie" } as never],
  });
  expect(job.state).toBe("Scheduled");
  expect(JSON.stringify(job)).not.toContain("sig=");
  await expect
    .poll(async () => (await client.jobs.get(rg, account, "copy", "first")).state, { timeout: 30_000 })
    .toBe("Finished");
  const finished = await client.jobs.get(rg, account, "copy", "first");
  expect((finished.input as { baseUri?: string }).baseUri).toBe(`${origin}/media`);
  expect(finished.outputs![0]!.progress).toBe(100);
  const asset = (await armCall(
    "GET",
    `/subscriptions/${client.subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Media/mediaServices/${account}/assets/movie`,
    undefined,
    "2022-08-01",
  )) as { properties: { files: { name: string; size: number; sha256: string }[] } };
  expect(asset.properties.files).toEqual([
    { name: "input.mp4", size: input.length, sha256: createHash("sha256").update(input).digest("hex") },
  ]);
});

/** Asks for a key as a player page on another origin does, from Chromium. */
async function fetchKey(page: import("@playwright/test").Page, kid: string, jwt: string | null) {
  return page.evaluate(
    async ({ url, jwt }) => {
      const res = await fetch(url, { headers: jwt ? { Authorization: `Bearer ${jwt}` } : {} });
      const bytes = new Uint8Array(await res.arrayBuffer());
      return {
        status: res.status,
        key: res.ok ? btoa(String.fromCharCode(...bytes)) : null,
        text: res.ok ? "" : new TextDecoder().decode(bytes),
      };
    },
    { url: `${e2eStack.baseURL}/keydelivery/${mediaServiceId}?kid=${kid}`, jwt },
  );
}

test("the database holds no plaintext content key, token key or JobInputHttp query string", async () => {
  const needles = [tokenKey, Buffer.from(keys[0]!.value, "base64")]
    .flatMap(encodingsOf)
    .concat([sas, sas.split("sig=")[1]!]);
  const found = await findInDatabase((sql) => query(sql), needles);
  expect(found.hits).toEqual([]);
  expect(found.rowsScanned).toBeGreaterThan(0);
  const [sealed] = await query<{ n: string }>(
    `SELECT count(*) AS n FROM "AccountSecret" s JOIN "MediaAccount" a ON a.id = s."accountId" WHERE a.name = $1`,
    [account],
  );
  expect(Number(sealed!.n), "the policy's token key, the locator's content key and the job's input URL, sealed").toBe(
    3,
  );
});

test("the portal's media page shows the job, the asset's SHA-256 and where players get the key, and no secret", async ({
  page,
}) => {
  const media = new MediaPage(page, account);
  await media.signIn(demoUsers.owner.upn);
  await expect(media.jobRow("copy", "first")).toContainText("Finished");
  await expect(media.jobProgress("copy", "first")).toHaveAttribute("value", "100");
  await expect(media.assets).toContainText(createHash("sha256").update(input).digest("hex"));
  await expect(media.policies).toContainText(`JWT from ${issuer} for ${audience}`);
  await expect(media.locators).toContainText(`/keydelivery/${mediaServiceId}?kid=${keys[0]!.kid}`);
  const html = await page.content();
  for (const secret of [
    keys[0]!.value,
    Buffer.from(keys[0]!.value, "base64").toString("hex"),
    tokenKey.toString("base64"),
    "sig=",
  ])
    expect(html).not.toContain(secret);

  await media.createLocator({
    name: "fromportal",
    asset: "movie",
    streamingPolicy: "Predefined_ClearKey",
    contentKeyPolicy: "signed",
  });
  await expect(media.createLocatorForm.getByText("Streaming locator fromportal created")).toBeVisible();
  await expect(media.locatorRow("fromportal")).toContainText(`/keydelivery/${mediaServiceId}?kid=`);
  expect((await client.streamingLocators.listContentKeys(rg, account, "fromportal")).contentKeys).toHaveLength(1);

  await client.jobs.create(rg, account, "copy", "endless", {
    input: { odataType: "#Microsoft.Media.JobInputHttp", baseUri: `${origin}/media`, files: ["endless.mp4"] } as never,
    outputs: [{ odataType: "#Microsoft.Media.JobOutputAsset", assetName: "movie" } as never],
  });
  await expect
    .poll(async () => (await client.jobs.get(rg, account, "copy", "endless")).state, { timeout: 30_000 })
    .toBe("Processing");
  await page.reload();
  await media.cancelJob("endless");
  await expect(media.jobRow("copy", "endless")).toContainText("Canceled", { timeout: 15_000 });
});

test("key delivery to a player on another origin: the right key with a valid token, refusals otherwise", async ({
  page,
}) => {
  await page.goto(`${origin}/player.html`);
  const { kid, value } = keys[0]!;
  expect(await fetchKey(page, kid, await token(kid))).toMatchObject({ status: 200, key: value });
  for (const [why, jwt] of [
    ["bad signature", await token(kid, { key: randomBytes(40) })],
    ["wrong audience", await token(kid, { audience: "urn:someone:else" })],
    ["expired", await token(kid, { expired: true })],
    ["another key id", await token("00000000-0000-4000-8000-000000000000")],
    ["no token", null],
  ] as const) {
    const res = await fetchKey(page, kid, jwt);
    expect(res.status, why).toBe(401);
    expect(res.key, why).toBeNull();
  }
});

test("revoked customer key: key delivery, listContentKeys, secrets and job creation refused; GET, LIST, DELETE work; restored: the same keys again", async ({
  page,
}) => {
  test.setTimeout(120_000);
  await revokeKeyAccess(principals[account]!, demoVaults.compliant.name, demoTenants.contoso.id);
  await revokeKeyAccess(principals[doomed]!, demoVaults.compliant.name, demoTenants.contoso.id);
  await waitForStatus(account, "CustomerKeyInaccessible");
  await waitForStatus(doomed, "CustomerKeyInaccessible");

  await page.goto(`${origin}/player.html`);
  const { kid, value } = keys[0]!;
  const refused = await fetchKey(page, kid, await token(kid));
  // The player learns nothing of the account: the policy's symmetric token key is sealed under the
  // account key, so while that is inaccessible the token cannot be verified, and is answered as a
  // token signed by someone else is. The state, vault and key are for the owner's API.
  expect(refused.status).toBe(401);
  expect(refused.text).toBe((await fetchKey(page, kid, await token(kid, { key: randomBytes(40) }))).text);
  for (const detail of ["Inaccessible", demoVaults.compliant.name, "rsa-2048"])
    expect(refused.text).not.toContain(detail);
  const inaccessible = { statusCode: 403, code: "CustomerKeyInaccessible" };
  await expect(client.streamingLocators.listContentKeys(rg, account, "stream")).rejects.toMatchObject(inaccessible);
  await expect(client.contentKeyPolicies.getPolicyPropertiesWithSecrets(rg, account, "signed")).rejects.toMatchObject(
    inaccessible,
  );
  const jobBody = {
    input: {
      odataType: "#Microsoft.Media.JobInputHttp",
      baseUri: `${origin}/media?${sas}`,
      files: ["input.mp4"],
    } as never,
    outputs: [{ odataType: "#Microsoft.Media.JobOutputAsset", assetName: "movie" } as never],
  };
  await expect(client.jobs.create(rg, account, "copy", "blocked", jobBody)).rejects.toMatchObject(inaccessible);

  expect((await client.mediaservices.get(rg, account)).encryption?.status).toBe("CustomerKeyInaccessible");
  const names: string[] = [];
  for await (const a of client.mediaservices.list(rg)) names.push(a.name!);
  expect(names).toEqual(expect.arrayContaining([account, doomed]));
  await client.mediaservices.delete(rg, doomed);
  const media = new MediaPage(page, account);
  await media.signIn(demoUsers.owner.upn);
  await expect(media.blocked).toContainText("inaccessible");
  // Worded from the policy table: what still works (not reading media), and no button this page lacks.
  await expect(media.blocked).toContainText(
    "Until then only these work: read the account, list accounts, delete the account, check the customer key now.",
  );
  await expect(media.blocked).not.toContainText("Check now");
  await page.goto(`${origin}/player.html`);
  await expect(client.mediaservices.get(rg, doomed)).rejects.toMatchObject({ statusCode: 404 });

  await grantKeyAccess(principals[account]!, [demoVaults.compliant.name], demoTenants.contoso.id);
  await waitForStatus(account, "Active");
  expect(await fetchKey(page, kid, await token(kid))).toMatchObject({ status: 200, key: value });
  expect((await client.streamingLocators.listContentKeys(rg, account, "stream")).contentKeys![0]!.value).toBe(value);
  const withSecrets = await client.contentKeyPolicies.getPolicyPropertiesWithSecrets(rg, account, "signed");
  expect(
    Buffer.from(
      (withSecrets.options[0]!.restriction as { primaryVerificationKey: { keyValue: Uint8Array } })
        .primaryVerificationKey.keyValue,
    ).equals(tokenKey),
  ).toBe(true);
  expect((await client.jobs.create(rg, account, "copy", "after", jobBody)).state).toBe("Scheduled");
  await expect
    .poll(async () => (await client.jobs.get(rg, account, "copy", "after")).state, { timeout: 30_000 })
    .toBe("Finished");
});
