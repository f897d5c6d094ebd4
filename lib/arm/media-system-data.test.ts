/**
 * ARM's systemData on the account's media resources (who created each and who changed it last,
 * from the caller's token, as the account itself gives it) and streaming endpoint tags, through
 * the REST API in-process: a user creates, an application (client credentials) changes.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  demoAutomationApp,
  demoPortalApp,
  demoResourceGroup,
  demoSubscriptions,
  demoUsers,
} from "@/lib/demo/directory";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { jobBody, tokenPolicyBody, transformBody } from "@/test/support/media-fixtures";
import { readsOf } from "@/test/support/statements";

const apiAudience = `api://${demoPortalApp.clientId}`;
const account = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/sysdata`;

interface Resource {
  tags?: Record<string, string>;
  properties?: Record<string, unknown>;
  systemData?: Record<string, string>;
  error?: { code: string; target?: string };
}

let env: AppEnvironment;
let handleMediaApi: typeof import("@/lib/arm/media-api").handleMediaApi;
let userToken: string;
let appToken: string;

async function call(token: string, method: string, path: string, apiVersion: string, body?: unknown) {
  const res = await handleMediaApi(
    new Request(`http://localhost${account}${path}?api-version=${apiVersion}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Resource };
}

before(async () => {
  env = await startAppEnvironment();
  ({ handleMediaApi } = await import("@/lib/arm/media-api"));
  userToken = await env.emu.userToken(demoUsers.owner, apiAudience);
  appToken = (await env.emu
    .clientSecret(demoAutomationApp.tenantId, demoAutomationApp.clientId, demoAutomationApp.secret)
    .getToken(`${apiAudience}/.default`))!.token;
  const created = await call(userToken, "PUT", "", "2023-01-01", { location: "westus2" });
  assert.equal(created.status, 201, JSON.stringify(created.json));
});
after(async () => env?.dispose());

const byUser = { by: demoUsers.owner.name, type: "User" };
const byApp = { by: demoAutomationApp.objectId, type: "Application" };

function assertSystemData(
  r: Resource,
  created: { by: string; type: string },
  modified: { by: string; type: string },
  what: string,
) {
  const s = r.systemData;
  assert.ok(s, `${what} has systemData: ${JSON.stringify(r)}`);
  assert.deepEqual(
    { createdBy: s.createdBy, createdByType: s.createdByType },
    { createdBy: created.by, createdByType: created.type },
    `${what}: who created it`,
  );
  assert.deepEqual(
    { lastModifiedBy: s.lastModifiedBy, lastModifiedByType: s.lastModifiedByType },
    { lastModifiedBy: modified.by, lastModifiedByType: modified.type },
    `${what}: who changed it last`,
  );
  assert.ok(Date.parse(s.createdAt!) <= Date.parse(s.lastModifiedAt!), `${what}: created, then modified`);
}

describe("systemData of media resources", () => {
  // Each: created by the user, then changed by the application (PUT on the existing, or PATCH).
  const metadata = "2022-08-01";
  const encoding = "2022-07-01";
  const resources: { what: string; path: string; apiVersion: string; body: unknown; change?: unknown }[] = [
    { what: "asset", path: "/assets/a1", apiVersion: metadata, body: { properties: {} } },
    {
      what: "content key policy",
      path: "/contentKeyPolicies/p1",
      apiVersion: metadata,
      body: tokenPolicyBody(Buffer.alloc(32, 7)),
    },
    { what: "transform", path: "/transforms/t1", apiVersion: encoding, body: transformBody },
    {
      what: "job",
      path: "/transforms/t1/jobs/j1",
      apiVersion: encoding,
      body: jobBody("a1"),
      change: { properties: { description: "changed" } },
    },
    {
      what: "streaming endpoint",
      path: "/streamingEndpoints/se1",
      apiVersion: metadata,
      body: { location: "westus2", properties: {} },
    },
  ];

  for (const r of resources)
    it(`records who created a ${r.what} and who changed it last, from the callers' tokens`, async () => {
      const created = await call(userToken, "PUT", r.path, r.apiVersion, r.body);
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assertSystemData(created.json, byUser, byUser, `${r.what} as created`);
      const changed = await call(appToken, r.change ? "PATCH" : "PUT", r.path, r.apiVersion, r.change ?? r.body);
      assert.equal(changed.status, 200, JSON.stringify(changed.json));
      assertSystemData(changed.json, byUser, byApp, `${r.what} as changed`);
      assertSystemData((await call(userToken, "GET", r.path, r.apiVersion)).json, byUser, byApp, `${r.what} as read`);
    });

  it("records who created a streaming locator (which never changes)", async () => {
    const created = await call(appToken, "PUT", "/streamingLocators/l1", metadata, {
      properties: { assetName: "a1", streamingPolicyName: "Predefined_ClearStreamingOnly" },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assertSystemData(created.json, byApp, byApp, "streaming locator");
  });

  it("gives the account's default streaming endpoint the account's creator", async () => {
    const endpoint = await call(userToken, "GET", "/streamingEndpoints/default", metadata);
    assertSystemData(endpoint.json, byUser, byUser, "default streaming endpoint");
  });
});

describe("streaming endpoint tags", () => {
  const path = "/streamingEndpoints/tagged";
  const v = "2022-08-01";

  it("stores and returns them; a PUT replaces them, a tags-only PATCH changes the tags and nothing else", async () => {
    const created = await call(userToken, "PUT", path, v, {
      location: "West US 2",
      tags: { tag1: "value1", tag2: "value2" },
      properties: { description: "test event 1", scaleUnits: 1 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.deepEqual(created.json.tags, { tag1: "value1", tag2: "value2" });
    assert.deepEqual((await call(userToken, "GET", path, v)).json.tags, { tag1: "value1", tag2: "value2" });

    const patched = await call(appToken, "PATCH", path, v, { tags: { tag3: "value3" } });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    assert.deepEqual(patched.json.tags, { tag3: "value3" }, "PATCH's tags replace the set, as ARM's do");
    assert.equal(patched.json.properties?.description, "test event 1", "what the PATCH leaves out is kept");
    assert.equal(patched.json.properties?.scaleUnits, 1);
    assertSystemData(patched.json, byUser, byApp, "tagged endpoint");

    const listed = await call(userToken, "GET", "/streamingEndpoints", v);
    const items = (listed.json as unknown as { value: (Resource & { name: string })[] }).value;
    assert.deepEqual(items.find((e) => e.name === "tagged")?.tags, { tag3: "value3" });

    const replaced = await call(userToken, "PUT", path, v, { location: "westus2", properties: {} });
    assert.deepEqual(replaced.json.tags, {}, "a PUT without tags clears them");
    assert.equal(replaced.json.properties?.description, undefined);
  });

  it("refuses tags ARM would refuse, naming the field, and stores nothing", async () => {
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "v"]));
    for (const tags of [many, { long: "x".repeat(257) }]) {
      const refused = await call(userToken, "PUT", "/streamingEndpoints/badtags", v, { tags });
      assert.equal(refused.status, 400, JSON.stringify(refused.json));
      assert.equal(refused.json.error?.code, "InvalidRequestContent");
      assert.match(refused.json.error?.target ?? "", /^body\.tags/);
    }
    assert.equal((await call(userToken, "GET", "/streamingEndpoints/badtags", v)).status, 404);
    const patch = await call(userToken, "PATCH", "/streamingEndpoints/default", v, { tags: many });
    assert.equal(patch.status, 400);
    assert.deepEqual((await call(userToken, "GET", "/streamingEndpoints/default", v)).json.tags, {});
  });

  it("answers a PATCH of an endpoint that does not exist with 404", async () => {
    const res = await call(userToken, "PATCH", "/streamingEndpoints/nothere", v, { tags: { a: "b" } });
    assert.equal(res.status, 404, JSON.stringify(res.json));
  });
});

describe("one request, one read", () => {
  it("a content key policy's PUT and PATCH read the caller's roles once and the account once before their write", async () => {
    const path = "/contentKeyPolicies/readonce";
    assert.equal((await call(userToken, "PUT", path, "2022-08-01", tokenPolicyBody(Buffer.alloc(32, 1)))).status, 201);
    for (const method of ["PATCH", "PUT"]) {
      const {
        result: res,
        reads,
        readsBeforeWrite,
      } = await readsOf(() => call(userToken, method, path, "2022-08-01", tokenPolicyBody(Buffer.alloc(32, 2))));
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(reads("RoleAssignment"), 1, `${method}: the caller's roles, once`);
      assert.equal(readsBeforeWrite("MediaAccount"), 1, `${method}: the account before the write, once`);
    }
  });
});
