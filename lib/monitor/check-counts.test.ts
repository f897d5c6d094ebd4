/**
 * The dashboard's checks per hour (lib/monitor/check-counts.ts): counted in memory, added to
 * "CheckCount" by a flush in one statement (never a write per check), added to what other
 * processes wrote, kept for the next flush when the database refuses, scoped by subscription,
 * and pruned after a week.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, beforeEach, describe, it } from "node:test";
import { databaseQueryCount } from "@/lib/db/client";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import {
  CHECK_COUNT_RETENTION_MS,
  checkCountsSince,
  countCheck,
  flushCheckCounts,
  pendingCheckCounts,
  pruneCheckCounts,
  stopCheckCounts,
} from "./check-counts";

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase({ forApp: true });
});
after(async () => {
  await stopCheckCounts();
  await database?.drop();
});
beforeEach(async () => {
  await flushCheckCounts();
  await database.db.checkCount.deleteMany({});
});

const HOUR = 3_600_000;
const hourOf = (d: Date) => new Date(Math.floor(d.getTime() / HOUR) * HOUR);
const rows = async () =>
  (
    await database.db.checkCount.findMany({ orderBy: [{ subscriptionId: "asc" }, { hour: "asc" }, { result: "asc" }] })
  ).map((r) => `${r.subscriptionId} ${r.hour.toISOString()} ${r.result} ${r.count}`);

describe("check counts", () => {
  it("counts in memory without a query, and a flush writes one row per (subscription, hour, result) in one statement", async () => {
    const [a, b] = [randomUUID(), randomUUID()].sort();
    const now = new Date();
    const earlier = new Date(now.getTime() - 2 * HOUR);
    const queries = databaseQueryCount();
    for (let i = 0; i < 500; i++) countCheck(a!, i % 10 === 0 ? "inaccessible" : i % 2 ? "active" : "recovered", now);
    countCheck(a!, "unreachable", earlier);
    countCheck(b!, "error", now);
    countCheck(b!, "skipped", now); // not a check
    assert.equal(databaseQueryCount() - queries, 0, "counting a check costs no query");
    assert.equal(pendingCheckCounts(), 502);

    const beforeFlush = databaseQueryCount();
    assert.equal(await flushCheckCounts(), 4, "four rows");
    assert.equal(databaseQueryCount() - beforeFlush, 1, "one statement for the whole flush");
    assert.equal(pendingCheckCounts(), 0);
    assert.deepEqual(await rows(), [
      `${a} ${hourOf(earlier).toISOString()} unreachable 1`,
      `${a} ${hourOf(now).toISOString()} failed 50`,
      `${a} ${hourOf(now).toISOString()} ok 450`,
      `${b} ${hourOf(now).toISOString()} error 1`,
    ]);
    const idle = databaseQueryCount();
    assert.equal(await flushCheckCounts(), 0);
    assert.equal(databaseQueryCount() - idle, 0, "nothing counted: no statement");
  });

  it("adds to the counts already written (another process, an earlier flush) instead of replacing them", async () => {
    const sub = randomUUID();
    const now = new Date();
    await database.db.checkCount.create({ data: { subscriptionId: sub, hour: hourOf(now), result: "ok", count: 7 } });
    for (let i = 0; i < 3; i++) countCheck(sub, "active", now);
    await flushCheckCounts();
    countCheck(sub, "active", now);
    await flushCheckCounts();
    assert.deepEqual(await rows(), [`${sub} ${hourOf(now).toISOString()} ok 11`]);
  });

  it("keeps the counts of a flush the database refused, and writes them with the next one", async () => {
    const sub = randomUUID();
    const now = new Date();
    countCheck(sub, "inaccessible", now);
    countCheck(sub, "inaccessible", now);
    await database.db.$executeRawUnsafe(`ALTER TABLE "CheckCount" RENAME TO "CheckCountAway"`);
    try {
      await assert.rejects(flushCheckCounts());
      countCheck(sub, "inaccessible", now);
      assert.equal(pendingCheckCounts(), 3, "the refused counts are kept, and new ones add to them");
    } finally {
      await database.db.$executeRawUnsafe(`ALTER TABLE "CheckCountAway" RENAME TO "CheckCount"`);
    }
    assert.equal(await flushCheckCounts(), 1);
    assert.deepEqual(await rows(), [`${sub} ${hourOf(now).toISOString()} failed 3`]);
  });

  it("reads the last day's counts of the caller's subscriptions only, summed over them", async () => {
    const [mine, also, theirs] = [randomUUID(), randomUUID(), randomUUID()];
    const now = new Date();
    const old = new Date(now.getTime() - 30 * HOUR);
    for (const s of [mine, also, theirs]) countCheck(s, "active", now);
    countCheck(mine, "unreachable", now);
    countCheck(mine, "active", old);
    await flushCheckCounts();
    const got = await checkCountsSince({ subscriptionIds: [mine, also], since: new Date(now.getTime() - 24 * HOUR) });
    assert.deepEqual(got.map((r) => `${r.hour.toISOString()} ${r.result} ${r.count}`).sort(), [
      `${hourOf(now).toISOString()} ok 2`,
      `${hourOf(now).toISOString()} unreachable 1`,
    ]);
    assert.deepEqual(await checkCountsSince({ subscriptionIds: [], since: old }), []);
  });

  it("prunes the rows older than the retention and keeps the recent ones", async () => {
    const sub = randomUUID();
    const now = Date.now();
    await database.db.checkCount.createMany({
      data: [
        {
          subscriptionId: sub,
          hour: hourOf(new Date(now - CHECK_COUNT_RETENTION_MS - 2 * HOUR)),
          result: "ok",
          count: 1,
        },
        {
          subscriptionId: sub,
          hour: hourOf(new Date(now - CHECK_COUNT_RETENTION_MS - HOUR)),
          result: "failed",
          count: 1,
        },
        { subscriptionId: sub, hour: hourOf(new Date(now - HOUR)), result: "ok", count: 1 },
      ],
    });
    assert.equal(await pruneCheckCounts(), 2);
    assert.equal(await database.db.checkCount.count(), 1);
    assert.equal(await pruneCheckCounts(), 0);
  });
});
