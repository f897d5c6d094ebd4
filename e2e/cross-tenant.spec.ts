/**
 * A user of another tenant reaches nothing of Contoso's, through every route handler, server
 * action and page. The first test enumerates the app's route handlers and server actions and
 * fails on any that this file does not cover: add a test here with each new one.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { demoResourceGroup, demoSubscriptions, demoTenants, demoUsers } from "../lib/demo/directory";
import { automationClients, symmetricTokenPolicy } from "./arm";
import { expect, test } from "./fixtures";
import { AccountPage, AccountsPage } from "./pages/account-page";
import { MediaPage } from "./pages/media-page";
import { startInputServer } from "./input-server";
import { mintToken } from "./tokens";
import { query } from "./db";
import { e2eStack } from "./stack";

const contoso = demoSubscriptions.contosoMedia.id;
const fabrikam = demoSubscriptions.fabrikamMedia.id;
const contosoAccount = `/subscriptions/${contoso}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/contosomedia`;
const outsider = { oid: demoUsers.outsider.objectId, tid: demoTenants.fabrikam.id, name: demoUsers.outsider.name };

const covered = {
  routes: [
    "app/(auth)/auth/callback/route.ts",
    "app/(auth)/auth/sign-in/route.ts",
    "app/api/events/keyvault/route.ts",
    "app/api/health/route.ts",
    "app/api/metrics/route.ts",
    "app/keydelivery/[mediaServiceId]/route.ts",
    "app/providers/[...path]/route.ts",
    "app/streaming/[endpointId]/[...path]/route.ts",
    "app/subscriptions/[...path]/route.ts",
  ],
  actions: [
    // Held by lib/security/cross-tenant-actions.test.ts (their lib/ operations refuse a Fabrikam user):
    // addSystemIdentityAction, attachUserIdentityAction, enableInstantDetectionAction,
    // grantKeyAccessAction, mintPlayerTokenAction.
    "addSystemIdentityAction",
    "attachUserIdentityAction",
    "cancelJobAction",
    "checkKeyNowAction",
    "createAccountAction",
    "createAssetAction",
    "createContentKeyPolicyAction",
    "createJobAction",
    "createStreamingLocatorAction",
    "deleteAccountAction",
    "enableInstantDetectionAction",
    "grantKeyAccessAction",
    "mintPlayerTokenAction",
    "saveEncryptionAction",
    "signOutAction",
    "switchToSystemKeyAction",
    "validateEncryptionAction",
  ],
};

function files(dir: string, name: string | RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return files(full, name);
    return (typeof name === "string" ? e.name === name : name.test(e.name)) ? [full] : [];
  });
}

test("every route handler and server action of the app is covered here", () => {
  expect(files("app", "route.ts").sort()).toEqual(covered.routes);
  // Every server action file: actions.ts, and the ones named for what they do (identity-actions.ts, ...).
  const actionFiles = files("app", /actions\.ts$/);
  const actions = actionFiles.flatMap((f) =>
    [...readFileSync(f, "utf8").matchAll(/export (?:const|async function) (\w+)/g)].map((m) => m[1]),
  );
  expect(actions.sort()).toEqual(covered.actions);
});

test("REST API: every method on Contoso's paths is refused to a Fabrikam token", async ({ request }) => {
  const auth = { authorization: `Bearer ${await mintToken(outsider)}` };
  const v = "?api-version=2021-11-01";
  for (const [method, url] of [
    ["GET", `${contosoAccount}${v}`],
    ["PUT", `${contosoAccount}${v}`],
    ["PATCH", `${contosoAccount}${v}`],
    ["DELETE", `${contosoAccount}${v}`],
    [
      "GET",
      `/subscriptions/${contoso}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices${v}`,
    ],
    ["GET", `/subscriptions/${contoso}/providers/Microsoft.Media/mediaservices${v}`],
    ["PUT", `${contosoAccount.replace("contosomedia", "planted")}${v}`],
    // checkKeyNowAction and this action share lib/accounts/encryption.ts#checkKeyNowFor.
    ["POST", `${contosoAccount}/checkCustomerKey${v}`],
    // This service's own action: which key versions wrap which accounts.
    ["POST", `${contosoAccount}/listKeyVersionUsage${v}`],
    // The sub-resources that hold secrets, and their secret-revealing actions.
    ["GET", `${contosoAccount}/assets?api-version=2022-08-01`],
    ["PUT", `${contosoAccount}/assets/planted?api-version=2022-08-01`],
    ["PUT", `${contosoAccount}/contentKeyPolicies/planted?api-version=2022-08-01`],
    ["POST", `${contosoAccount}/contentKeyPolicies/planted/getPolicyPropertiesWithSecrets?api-version=2022-08-01`],
    ["POST", `${contosoAccount}/streamingLocators/planted/listContentKeys?api-version=2022-08-01`],
    ["GET", `${contosoAccount}/transforms/planted/jobs?api-version=2022-07-01`],
    ["PUT", `${contosoAccount}/transforms/planted/jobs/planted?api-version=2022-07-01`],
  ] as const) {
    const res = await request.fetch(url, {
      method,
      headers: auth,
      data: method === "PUT" || method === "PATCH" ? { location: "westus2" } : undefined,
    });
    expect(res.status(), `${method} ${url}`).toBe(403);
    expect(JSON.stringify(await res.json()), `${method} ${url}`).not.toContain("westus2");
  }
  const own = await request.get(
    `/subscriptions/${demoSubscriptions.fabrikamMedia.id}/providers/Microsoft.Media/mediaservices${v}`,
    { headers: auth },
  );
  expect((await own.json()).value.map((a: { name: string }) => a.name)).toEqual(["fabrikammedia"]);
});

test("key delivery takes no Entra token: a Fabrikam user's token gets no Contoso key", async ({
  request,
  uniqueName,
}) => {
  const media = automationClients().media;
  const name = uniqueName("xt");
  await media.assets.createOrUpdate(demoResourceGroup, "contosomedia", name, {});
  await media.contentKeyPolicies.createOrUpdate(
    demoResourceGroup,
    "contosomedia",
    name,
    symmetricTokenPolicy({
      issuer: "https://sts.contoso.localhost",
      audience: "urn:contoso",
      keyValue: randomBytes(32),
    }),
  );
  await media.streamingLocators.create(demoResourceGroup, "contosomedia", name, {
    assetName: name,
    streamingPolicyName: "Predefined_ClearKey",
    defaultContentKeyPolicyName: name,
  });
  const kid = (await media.streamingLocators.listContentKeys(demoResourceGroup, "contosomedia", name)).contentKeys![0]!
    .id;
  const id = (await media.mediaservices.get(demoResourceGroup, "contosomedia")).mediaServiceId!;
  const res = await request.get(`/keydelivery/${id}?kid=${kid}`, {
    headers: { authorization: `Bearer ${await mintToken(outsider)}` },
  });
  expect(res.status()).toBe(401);
  expect(res.headers()["content-type"]).toContain("application/json");
});

test("media page actions: a Fabrikam user can neither create a streaming locator nor cancel a job in Contoso's account", async ({
  page,
  request,
  uniqueName,
}) => {
  test.setTimeout(90_000);
  const inputs = await startInputServer({ sas: "unused", body: Buffer.alloc(0) });
  const auth = { authorization: `Bearer ${await mintToken(outsider)}` };
  const fabrikamAccount = `/subscriptions/${fabrikam}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/fabrikammedia`;
  const put = async (path: string, apiVersion: string, data: unknown) =>
    expect(
      (await request.put(`${fabrikamAccount}/${path}?api-version=${apiVersion}`, { headers: auth, data })).status(),
      path,
    ).toBeLessThan(300);
  const job = uniqueName("xt");
  try {
    // A job of the user's own that keeps running, so its Cancel button shows.
    await put("assets/xt", "2022-08-01", {});
    await put("transforms/xt", "2022-07-01", {
      properties: {
        outputs: [
          {
            preset: { "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName: "AdaptiveStreaming" },
          },
        ],
      },
    });
    await put(`transforms/xt/jobs/${job}`, "2022-07-01", {
      properties: {
        input: {
          "@odata.type": "#Microsoft.Media.JobInputHttp",
          baseUri: `${inputs.origin}/media`,
          files: ["endless.mp4"],
        },
        outputs: [{ "@odata.type": "#Microsoft.Media.JobOutputAsset", assetName: "xt" }],
      },
    });
    const mediaPage = new MediaPage(page, "fabrikammedia", fabrikam);
    await mediaPage.signIn(demoUsers.outsider.upn);
    // Rewrites the form's account fields as it is submitted (a listener on the form runs before React's
    // at the root), so no re-render in between can write them back.
    const aimAtContoso = (form: import("@playwright/test").Locator) =>
      form.evaluate((el, id) => {
        el.addEventListener("submit", () => {
          el.querySelector<HTMLInputElement>("input[name=subscriptionId]")!.value = id;
          el.querySelector<HTMLInputElement>("input[name=name]")!.value = "contosomedia";
        });
      }, contoso);

    const create = mediaPage.createLocatorForm;
    await aimAtContoso(create);
    await mediaPage.createLocator({ name: "planted", streamingPolicy: "Predefined_ClearStreamingOnly" });
    await expect(create.getByRole("alert")).toContainText("does not have authorization");
    // The other create forms of the page, aimed the same way.
    await aimAtContoso(mediaPage.form("asset"));
    await mediaPage.createAsset("planted");
    await expect(mediaPage.form("asset").getByRole("alert")).toContainText("does not have authorization");
    await aimAtContoso(mediaPage.form("policy"));
    await mediaPage.createPolicy("planted", "open");
    await expect(mediaPage.form("policy").getByRole("alert")).toContainText("does not have authorization");
    await aimAtContoso(mediaPage.form("job"));
    await mediaPage.createJob({ name: "planted", url: `${inputs.origin}/media/endless.mp4`, transform: "xt" });
    await expect(mediaPage.form("job").getByRole("alert")).toContainText("does not have authorization");
    const planted = `SELECT count(*)::int AS n FROM "Asset" a JOIN "MediaAccount" m ON m.id = a."accountId"
      WHERE a.name LIKE 'planted%' AND m.name = 'contosomedia'`;
    expect(await query(planted), "no asset was planted in Contoso's account").toEqual([{ n: 0 }]);

    const cancel = mediaPage.cancelJobForm(job);
    await aimAtContoso(cancel);
    await cancel.getByRole("button").click();
    await expect(cancel.getByRole("alert")).toContainText("does not have authorization");
  } finally {
    await request.post(`${fabrikamAccount}/transforms/xt/jobs/${job}/cancelJob?api-version=2022-07-01`, {
      headers: auth,
    });
    await inputs.close();
  }
});

test("Key Vault events, the operations list and streaming endpoints take no user's token as a key to Contoso", async ({
  request,
  accounts,
}) => {
  const auth = { authorization: `Bearer ${await mintToken(outsider)}` };
  // The webhook takes only Event Grid's own deliveries: a user's token is refused before anything is read.
  const events = await request.post("/api/events/keyvault", { headers: auth, data: [] });
  expect(events.status()).toBe(401);
  // The operations list is the same for everyone and names no account.
  const operations = await request.get("/providers/Microsoft.Media/operations?api-version=2023-01-01", {
    headers: auth,
  });
  expect(operations.status()).toBe(200);
  expect(await operations.text()).not.toContain("contoso");
  // A Contoso endpoint serves only what Contoso published, to anyone (as a CDN origin does; envelope
  // content needs a key that key delivery does not give a Fabrikam token): an unknown locator is 404.
  const { name } = await accounts.create("xtstream");
  const [endpoint] = await query<{ id: string }>(
    `SELECT e.id FROM "StreamingEndpoint" e JOIN "MediaAccount" a ON a.id = e."accountId" WHERE a."nameKey" = $1`,
    [name.toLowerCase()],
  );
  expect(endpoint, "an account gets its default streaming endpoint").toBeTruthy();
  const stream = await request.get(`/streaming/${endpoint!.id}/${randomUUID()}/video.ism/manifest(format=m3u8-cmaf)`, {
    headers: auth,
  });
  expect([403, 404]).toContain(stream.status());
  expect(await stream.text()).not.toMatch(/contoso/i);
});

test("metrics answer the operator's token only: a user's token, even an owner's, gets 401", async ({ request }) => {
  const attempts: Record<string, string>[] = [
    {},
    { authorization: `Bearer ${await mintToken(outsider)}` },
    {
      authorization: `Bearer ${await mintToken({ oid: demoUsers.owner.objectId, tid: demoTenants.contoso.id, name: demoUsers.owner.name })}`,
    },
  ];
  for (const headers of attempts) {
    const res = await request.get("/api/metrics", { headers });
    expect(res.status()).toBe(401);
    expect(await res.text()).toBe("");
  }
  const scraped = await request.get("/api/metrics", { headers: { authorization: `Bearer ${e2eStack.metricsToken}` } });
  expect(scraped.status()).toBe(200);
  expect(await scraped.text()).toContain("# TYPE byok_monitor_checks_total counter");
  // The key-delivery listener, a process of its own, serves its own counters with the same token.
  const listener = `http://127.0.0.1:${e2eStack.keyDeliveryPort}/metrics`;
  expect((await request.get(listener)).status()).toBe(401);
  const keys = await request.get(listener, { headers: { authorization: `Bearer ${e2eStack.metricsToken}` } });
  expect(keys.status()).toBe(200);
  expect(await keys.text()).toContain("# TYPE byok_key_delivery_requests_total counter");
});

test("health, sign-in and callback reveal no tenant's data", async ({ request }) => {
  const health = await (await request.get("/api/health")).text();
  expect(health).not.toMatch(/contoso|fabrikam/i);
  const signInRes = await request.get("/auth/sign-in", { maxRedirects: 0 });
  expect(signInRes.status()).toBe(307);
  const callback = await request.get("/auth/callback?code=stolen&state=guessed", { maxRedirects: 0 });
  expect(callback.headers().location).toContain("/auth/error?reason=");
});

test("pages and server actions: a Fabrikam user sees none of Contoso's accounts and cannot act on them", async ({
  page,
}) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.outsider.upn);
  await expect(accounts.accountLink("fabrikammedia")).toBeVisible();
  await expect(accounts.accountLink("contosomedia")).toHaveCount(0);

  const response = await new AccountPage(page, "contosomedia", contoso).goto();
  expect(response?.status(), "another tenant's account is not found, so its name does not leak").toBe(404);

  // createAccountAction, aimed at Contoso's subscription by editing the form.
  await accounts.goto();
  await accounts.createForm.locator("select[name=subscriptionId]").evaluate((el, id) => {
    const option = document.createElement("option");
    option.value = id;
    option.textContent = "planted";
    el.appendChild(option);
    (el as HTMLSelectElement).value = id;
  }, contoso);
  await accounts.createAccount("planted");
  await expect(accounts.formAlert).toContainText("does not have authorization");

  // deleteAccountAction, aimed at Contoso's account from the user's own account page.
  const own = await accounts.openAccount("fabrikammedia");
  // The delete form's own fields (in its confirmation dialog): the page has identity forms too.
  const deleteForm = page.locator("dialog.confirm form");
  await deleteForm
    .locator("input[name=subscriptionId]")
    .evaluate((el, id) => ((el as HTMLInputElement).value = id), contoso);
  await deleteForm.locator("input[name=name]").evaluate((el) => ((el as HTMLInputElement).value = "contosomedia"));
  await own.deleteAccount();
  await expect(own.alert).toContainText("does not have authorization");

  // signOutAction ends only the caller's own session.
  await own.signOut();
});
