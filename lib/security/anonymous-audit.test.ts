/**
 * Attacks on the audit log through the REST API's refusals: anonymous requests must not write a
 * row each (with a path the attacker chose), and spoofed sources must not multiply the rows.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { demoSubscriptions } from "@/lib/demo/directory";
import { handleMediaApi } from "@/lib/arm/media-api";
import * as refusals from "@/lib/auth/anonymous-refusals";

let env: AppEnvironment;

before(async () => {
  env = await startAppEnvironment();
});
after(async () => env?.dispose());

const anonymousEvents = () =>
  env.database.db.auditEvent.findMany({
    where: { actor: "anonymous" },
    orderBy: { id: "asc" },
    select: { action: true, detail: true },
  });

beforeEach(async () => {
  await refusals.flushAnonymousRefusals();
  await env.database.db.auditEvent.deleteMany({ where: { actor: "anonymous" } });
});

async function anonymousRequest(source: string, path: string, authorization?: string) {
  const headers: Record<string, string> = { "x-forwarded-for": source, ...(authorization ? { authorization } : {}) };
  const res = await handleMediaApi(new Request(`http://localhost:3000${path}?api-version=2021-11-01`, { headers }));
  assert.equal(res.status, 401);
}

describe("attacks on the audit log by anonymous requests", () => {
  it("a flood of anonymous requests writes no row per request, then one event per source with counts and a few sample paths", async () => {
    const sub = demoSubscriptions.contosoMedia.id;
    for (let i = 0; i < 200; i++)
      await anonymousRequest(
        "203.0.113.7",
        `/subscriptions/${sub}/providers/Microsoft.Media/mediaservices/a${i}${"x".repeat(500)}`,
      );
    for (let i = 0; i < 20; i++)
      await anonymousRequest(
        "198.51.100.9",
        `/subscriptions/${sub}/providers/Microsoft.Media/mediaservices`,
        "Bearer not.a.token",
      );
    assert.equal((await anonymousEvents()).length, 0, "nothing written per request");

    assert.equal(await refusals.flushAnonymousRefusals(), 2);
    const events = await anonymousEvents();
    assert.deepEqual(
      events.map((e) => e.action),
      ["api.anonymousRefused", "api.anonymousRefused"],
    );
    const [flood, badTokens] = events.map(
      (e) => e.detail as { source: string; count: number; reasons: string[]; samplePaths: string[] },
    );
    assert.deepEqual(
      { ...flood, samplePaths: flood!.samplePaths.length },
      { source: "203.0.113.7", count: 200, reasons: ["AuthenticationFailed: 200"], samplePaths: 5 },
    );
    assert.ok(
      flood!.samplePaths.every((p) => p.startsWith("GET /subscriptions/") && p.length <= 200),
      "sample paths are cut short",
    );
    assert.deepEqual(
      { ...badTokens, samplePaths: badTokens!.samplePaths.length },
      { source: "198.51.100.9", count: 20, reasons: ["InvalidAuthenticationToken: 20"], samplePaths: 1 },
    );

    assert.equal(await refusals.flushAnonymousRefusals(), 0, "a quiet minute writes nothing");
  });

  it("requests from ever new (spoofed) sources write at most MAX_SOURCES + 1 events a minute", async () => {
    const extra = 250;
    for (let i = 0; i < refusals.MAX_SOURCES + extra; i++)
      await anonymousRequest(
        `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        "/subscriptions/x/providers/Microsoft.Media/mediaservices",
      );
    assert.equal(await refusals.flushAnonymousRefusals(), refusals.MAX_SOURCES + 1);
    const events = await anonymousEvents();
    assert.equal(events.length, refusals.MAX_SOURCES + 1);
    assert.deepEqual(
      events.map((e) => e.detail as { source: string; count: number }).find((d) => d.source === "(other sources)"),
      {
        source: "(other sources)",
        count: extra,
        reasons: [`AuthenticationFailed: ${extra}`],
        samplePaths: ["GET /subscriptions/x/providers/Microsoft.Media/mediaservices"],
      },
    );
  });
});
