/**
 * The ARM API's one route table: unknown paths and methods answer in ARM's JSON (404 and 405 alike
 * for accounts and sub-resources), and an unexpected failure is ARM's 500 whose request id is the
 * one in the log line, never Next's error page.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";
import { armClient, armApiPerFile } from "@/test/support/arm-client";
import { captureLogs } from "@/test/support/logs";

const account = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices`;

const { env, call } = armApiPerFile();

type ArmError = { error: { code: string; message: string } };

describe("the route table", () => {
  it("answers a method an account does not have with 405, as for a sub-resource", async () => {
    for (const path of [
      `${account}/routed?api-version=2021-11-01`,
      `${account}/routed/assets/a1?api-version=2022-08-01`,
    ]) {
      const res = await call("POST", path);
      assert.equal(res.status, 405, path);
      assert.equal((res.json as ArmError).error.code, "MethodNotAllowed");
      assert.match(res.headers.get("allow") ?? "", /GET/);
    }
  });

  it("answers a path it does not serve with 404 InvalidResourceType, matched case-insensitively", async () => {
    const unknown = await call("GET", `${account}/routed/nothingHere?api-version=2021-11-01`);
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json as ArmError).error.code, "InvalidResourceType");
    const created = await call("PUT", `${account.toUpperCase()}/routed?api-version=2021-11-01`, {
      location: "westus2",
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const listed = await call("get", `${account.toLowerCase()}/routed/ASSETS?api-version=2022-08-01`);
    assert.equal(listed.status, 200, JSON.stringify(listed.json));
  });

  it("checks the api-version against the route's own versions", async () => {
    const res = await call("GET", `${account}/routed/assets?api-version=2021-05-01`);
    assert.equal(res.status, 400);
    assert.equal((res.json as ArmError).error.code, "InvalidApiVersionParameter");
  });

  it("puts a request id on every answer", async () => {
    const ok = await call("GET", `${account}?api-version=2021-11-01`);
    const refused = await call("GET", `${account}/nope?api-version=2021-11-01`);
    for (const res of [ok, refused]) assert.match(res.headers.get("x-ms-request-id") ?? "", /^[0-9a-f-]{36}$/);
    assert.notEqual(ok.headers.get("x-ms-request-id"), refused.headers.get("x-ms-request-id"));
  });
});

describe("an unexpected failure", () => {
  it("is ARM's 500 JSON, with the request id of the log line", async () => {
    const { armApi } = await import("./media-api");
    const { armPath } = await import("./router");
    const failing = armApi([
      {
        method: "GET",
        pattern: armPath("/subscriptions/{subscriptionId}/providers/Microsoft.Media/boom"),
        apiVersions: ["2021-11-01"],
        handler: () => Promise.reject(new TypeError("cannot read properties of undefined")),
      },
    ]);
    const logs = captureLogs();
    try {
      const res = await (
        await armClient(env(), demoUsers.owner, failing)
      )(
        "GET",
        `/subscriptions/${demoSubscriptions.contosoMedia.id}/providers/Microsoft.Media/boom?api-version=2021-11-01`,
      );
      assert.equal(res.status, 500);
      assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      const requestId = res.headers.get("x-ms-request-id")!;
      assert.equal((res.json as ArmError).error.code, "InternalServerError");
      assert.ok((res.json as ArmError).error.message.includes(requestId));
      assert.doesNotMatch((res.json as ArmError).error.message, /cannot read/, "the cause stays in the log");
      const failures = logs.entries.filter((e) => e.level === "error");
      assert.equal(failures.length, 1);
      assert.equal(failures[0]!.requestId, requestId, "the log line names the request id");
      assert.equal(failures[0]!.component, "arm");
      assert.match(JSON.stringify(failures[0]!.err), /cannot read properties of undefined/, "the cause is in the log");
    } finally {
      logs.restore();
    }
  });
});
