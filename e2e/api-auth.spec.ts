/**
 * REST API authentication and authorization, against the running stack, called at the portal's
 * URL with tokens for ARM's audience ("arm" project) or the API's App ID URI ("api-direct").
 */
import {
  demoAutomationApp,
  demoPortalApp,
  demoResourceGroup,
  demoSubscriptions,
  demoTenants,
  demoUsers,
} from "../lib/demo/directory";
import { expect, test } from "./fixtures";
import { apiAudience, clientCredentialsToken, mintToken } from "./tokens";

const sub = demoSubscriptions.contosoMedia.id;
const account = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/contosomedia?api-version=2021-11-01`;
const list = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices?api-version=2021-11-01`;
const owner = { oid: demoUsers.owner.objectId, tid: demoTenants.contoso.id, name: demoUsers.owner.name };
const reader = { oid: demoUsers.reader.objectId, tid: demoTenants.contoso.id, name: demoUsers.reader.name };

test("a real client-credentials token of an Owner app lists and reads accounts", async ({ request }) => {
  const token = await clientCredentialsToken(demoAutomationApp, apiAudience());
  const res = await request.get(list, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.value.map((a: { name: string }) => a.name)).toContain("contosomedia");
  const one = await (await request.get(account, { headers: { authorization: `Bearer ${token}` } })).json();
  expect(one).toMatchObject({ name: "contosomedia", type: "Microsoft.Media/mediaservices", location: "westus2" });
  expect(one.id).toBe(
    `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/contosomedia`,
  );
});

test("no token, a bad signature, a wrong audience, an expired token and an unknown tenant get 401 with ARM's error JSON", async ({
  request,
}) => {
  const good = await mintToken(owner);
  expect((await request.get(account, { headers: { authorization: `Bearer ${good}` } })).status()).toBe(200);
  const [h, p, s] = good.split(".") as [string, string, string];
  const cases: [string, Record<string, string>, string][] = [
    ["no token", {}, "AuthenticationFailed"],
    ["not a bearer", { authorization: "Basic b3duZXI6cHc=" }, "AuthenticationFailed"],
    ["bad signature", { authorization: `Bearer ${h}.${p}.${s.slice(0, -6)}AAAAAA` }, "InvalidAuthenticationToken"],
    [
      "another key",
      { authorization: `Bearer ${await mintToken(owner, { foreignKey: true })}` },
      "InvalidAuthenticationToken",
    ],
    [
      "wrong audience",
      { authorization: `Bearer ${await mintToken(owner, { audience: "https://vault.localhost" })}` },
      "InvalidAuthenticationToken",
    ],
    ["expired", { authorization: `Bearer ${await mintToken(owner, { expired: true })}` }, "ExpiredAuthenticationToken"],
    [
      "unknown tenant",
      { authorization: `Bearer ${await mintToken({ ...owner, tid: "0f0f0f0f-1111-4222-8333-444455556666" })}` },
      "InvalidAuthenticationTokenTenant",
    ],
  ];
  for (const [label, headers, code] of cases) {
    const res = await request.get(account, { headers });
    expect(res.status(), label).toBe(401);
    expect(res.headers()["www-authenticate"], label).toContain("Bearer");
    expect(await res.json(), label).toMatchObject({ error: { code } });
  }
});

test("a valid token without a role gets 403, and a reader gets 403 on PUT, PATCH and DELETE", async ({ request }) => {
  // An app the API accepts (with the app role, for the API's own audience) that holds no role in the subscription.
  const noRole = await mintToken({ oid: demoPortalApp.objectId, tid: demoPortalApp.tenantId, idtyp: "app" });
  const refused = await request.get(account, { headers: { authorization: `Bearer ${noRole}` } });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toMatchObject({ error: { code: "AuthorizationFailed" } });

  const token = await mintToken(reader);
  const auth = { authorization: `Bearer ${token}` };
  expect((await request.get(account, { headers: auth })).status()).toBe(200);
  expect((await request.get(list, { headers: auth })).status()).toBe(200);
  for (const [method, data] of [
    ["PUT", { location: "westus2" }],
    ["PATCH", { tags: { a: "b" } }],
    ["DELETE", undefined],
  ] as const) {
    const res = await request.fetch(account, { method, headers: auth, data });
    expect(res.status(), method).toBe(403);
    expect(await res.json(), method).toMatchObject({ error: { code: "AuthorizationFailed" } });
  }
  expect((await request.get(account, { headers: auth })).status(), "still there").toBe(200);
});

test("the API checks api-version and refuses malformed input with ARM errors", async ({ request }) => {
  const auth = { authorization: `Bearer ${await mintToken(owner)}` };
  expect(await (await request.get(account.replace(/\?.*$/, ""), { headers: auth })).json()).toMatchObject({
    error: { code: "MissingApiVersionParameter" },
  });
  expect(
    await (await request.get(account.replace("2021-11-01", "1999-01-01"), { headers: auth })).json(),
  ).toMatchObject({ error: { code: "InvalidApiVersionParameter" } });
  const bad = await request.put(account.replace("contosomedia", "Bad_Name"), {
    headers: auth,
    data: { location: "westus2" },
  });
  expect(bad.status()).toBe(400);
  expect(await bad.json()).toMatchObject({ error: { code: "InvalidRequestContent" } });
  const noLocation = await request.put(account.replace("contosomedia", "newacct"), { headers: auth, data: {} });
  expect(await noLocation.json()).toMatchObject({ error: { code: "InvalidRequestContent", target: "body.location" } });
  const notJson = await request.put(account.replace("contosomedia", "newacct"), {
    headers: { ...auth, "content-type": "application/json" },
    data: "{nope",
  });
  expect(notJson.status()).toBe(400);
});

test("ETag and If-Match make concurrent updates safe: a stale ETag gets 412 and changes nothing", async ({
  request,
  uniqueName,
}) => {
  const auth = { authorization: `Bearer ${await mintToken(owner)}` };
  const url = account.replace("contosomedia", uniqueName("etag"));
  const created = await request.put(url, { headers: auth, data: { location: "westus2", identity: { type: "None" } } });
  expect(created.status()).toBe(201);
  const etag = created.headers().etag!;
  expect(etag).toMatch(/^"\d+"$/);
  expect((await request.get(url, { headers: auth })).headers().etag).toBe(etag);

  const changed = await request.patch(url, {
    headers: { ...auth, "if-match": etag },
    data: { identity: { type: "SystemAssigned" } },
  });
  // From 2021-06-01 every PATCH is a long-running operation (202); this one has no Key Vault work,
  // so its operation has already succeeded and the body is the changed account.
  expect(changed.status()).toBe(202);
  expect(changed.headers()["azure-asyncoperation"]).toContain("/mediaServicesOperationStatuses/");
  const next = changed.headers().etag!;
  expect(next).not.toBe(etag);
  expect((await changed.json()).identity.type).toBe("SystemAssigned");

  const stale = await request.patch(url, {
    headers: { ...auth, "if-match": etag },
    data: { identity: { type: "SystemAssigned" } },
  });
  expect(stale.status()).toBe(412);
  expect(await stale.json()).toMatchObject({ error: { code: "PreconditionFailed" } });
  expect((await request.get(url, { headers: auth })).headers().etag).toBe(next);
  expect(
    // A PUT replaces the account: it names the system-assigned identity, which cannot be removed.
    (
      await request.put(url, {
        headers: { ...auth, "if-match": "*" },
        data: { location: "westus2", identity: { type: "SystemAssigned" } },
      })
    ).status(),
  ).toBe(200);
  expect((await request.delete(url, { headers: auth })).status()).toBe(200);
});
