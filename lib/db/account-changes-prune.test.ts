/**
 * AccountChange keeps one row per account ever changed (deleted accounts included): the worker
 * prunes rows older than the feeds' retention, and a pruned account that changes again is seen.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ACCOUNT_CHANGE_RETENTION_MS, pruneAccountChanges } from "./account-changes";
import { createTestDatabase, type TestDatabase } from "./test-database";

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase({ forApp: true });
});
after(async () => database?.drop());

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe("AccountChange pruning", () => {
  it("deletes the rows older than the retention and keeps the recent ones", async () => {
    const retentionMinutes = ACCOUNT_CHANGE_RETENTION_MS / 60_000;
    const old = Array.from({ length: 30 }, () => randomUUID());
    const recent = Array.from({ length: 5 }, () => randomUUID());
    await database.db.accountChange.createMany({
      data: [
        ...old.map((accountId, i) => ({ accountId, changedAt: minutesAgo(retentionMinutes + 1 + i) })),
        ...recent.map((accountId, i) => ({ accountId, changedAt: minutesAgo(i) })),
      ],
    });
    assert.equal(await pruneAccountChanges(), old.length);
    const left = await database.db.accountChange.findMany({ select: { accountId: true } });
    assert.deepEqual(left.map((r) => r.accountId).sort(), [...recent].sort());
    assert.equal(await pruneAccountChanges(), 0, "nothing more to prune");
  });

  it("a shorter retention prunes accordingly, and an account pruned then changed again has a row", async () => {
    const accountId = randomUUID();
    await database.db.accountChange.create({ data: { accountId, changedAt: minutesAgo(2) } });
    assert.ok((await pruneAccountChanges(60_000)) >= 1);
    assert.equal(await database.db.accountChange.count({ where: { accountId } }), 0);
    await database.db.accountChange.create({ data: { accountId } });
    assert.equal(await database.db.accountChange.count({ where: { accountId } }), 1);
  });
});
