/**
 * Attacks on portal sessions: a copied session cookie must be worth nothing once its session
 * has ended (sign-out, idle or absolute timeout), and an ended session leaves no token cache.
 * The clock is passed in (`now`); the database is real. e2e/attacks/session-replay.spec.ts
 * replays a cookie through the browser and the full stack.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import * as sessions from "@/lib/auth/session";
import * as store from "@/lib/auth/session-store";
import { saveTokenCache } from "@/lib/auth/token-cache-store";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";

let database: TestDatabase;
let dataDir: string;

const t0 = new Date("2026-11-29T08:00:00Z");
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "byok-sessions-"));
  Object.assign(process.env, { APP_PROFILE: "local", DATA_DIR: dataDir });
  database = await createTestDatabase({ forApp: true });
});

after(async () => {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Signs a user in at `now` as the callback does: a session row, its token cache, and the cookie the browser gets. */
async function signIn(now: Date) {
  const session = {
    sid: randomUUID(),
    oid: randomUUID(),
    tid: randomUUID(),
    name: "Olivia",
    upn: "owner@contoso.localhost",
    homeAccountId: "h",
  };
  await store.openSession(session.sid, now);
  await saveTokenCache(session.sid, Buffer.from("sealed msal cache"), new Date(now.getTime() + 8 * 3_600_000));
  return { session, cookie: await sessions.sealSessionCookie(session) };
}

const tokenCacheRows = (sid: string) => database.db.sessionTokenCache.count({ where: { sessionId: sid } });

describe("attacks on portal sessions", () => {
  it("a session cookie copied before sign-out is refused after sign-out, and its token cache is gone", async () => {
    const { session, cookie } = await signIn(t0);
    assert.equal(
      (await sessions.sessionOfCookie(cookie, at(1)))?.oid,
      session.oid,
      "the copy works while the session lives",
    );
    await store.endSession(session.sid); // what sign-out does, whichever instance serves it
    assert.equal(await sessions.sessionOfCookie(cookie, at(2)), null);
    assert.equal(await tokenCacheRows(session.sid), 0);
  });

  it("a cookie naming a session the server never opened is refused, though it is sealed with the right key", async () => {
    const forged = await sessions.sealSessionCookie({
      sid: randomUUID(),
      oid: randomUUID(),
      tid: randomUUID(),
      name: "x",
      upn: "x",
      homeAccountId: "x",
    });
    assert.equal(await sessions.sessionOfCookie(forged, at(1)), null);
  });

  it("a copied cookie of a session left idle for an hour is refused; a session in use lives on", async () => {
    const { session, cookie } = await signIn(t0);
    assert.ok(await sessions.sessionOfCookie(cookie, at(50)));
    assert.ok(await sessions.sessionOfCookie(cookie, at(100)), "50 minutes after the last request");
    assert.equal(await sessions.sessionOfCookie(cookie, at(160)), null, "60 minutes after the last request");
    assert.equal(await sessions.sessionOfCookie(cookie, at(161)), null, "and it stays ended");
    assert.equal(await tokenCacheRows(session.sid), 0);
  });

  it("a session in constant use still ends 8 hours after sign-in (absolute timeout)", async () => {
    const { session, cookie } = await signIn(t0);
    for (let minutes = 30; minutes < 8 * 60; minutes += 30)
      assert.ok(await sessions.sessionOfCookie(cookie, at(minutes)), `${minutes} min`);
    assert.equal(await sessions.sessionOfCookie(cookie, at(8 * 60)), null);
    assert.equal(await tokenCacheRows(session.sid), 0);
  });

  it("the idle clock is written at most once a minute, not on every request", async () => {
    const { session, cookie } = await signIn(t0);
    const lastSeen = async () =>
      (await database.db.session.findUniqueOrThrow({ where: { id: session.sid } })).lastSeenAt.getTime();
    for (const seconds of [1, 10, 30, 59])
      await sessions.sessionOfCookie(cookie, new Date(t0.getTime() + seconds * 1000));
    assert.equal(await lastSeen(), t0.getTime());
    await sessions.sessionOfCookie(cookie, at(1));
    assert.equal(await lastSeen(), at(1).getTime());
  });

  it("sessions whose browser never comes back are purged with their token caches; live ones stay", async () => {
    const idle = await signIn(at(-70));
    const old = await signIn(at(-9 * 60));
    await database.db.session.update({ where: { id: old.session.sid }, data: { lastSeenAt: at(-5) } });
    const live = await signIn(at(-5));
    assert.ok((await store.purgeEndedSessions(t0)) >= 2);
    assert.deepEqual(await Promise.all([idle, old, live].map(({ session }) => tokenCacheRows(session.sid))), [0, 0, 1]);
    assert.ok(await sessions.sessionOfCookie(live.cookie, t0));
  });
});
