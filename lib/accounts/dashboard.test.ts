/**
 * The dashboard's data (dashboardPage): counts per state kept in AccountStateCount by triggers,
 * each filter's total, keyset pages in the dashboard's order (inaccessible first, then by name,
 * then id) forwards, backwards and from the end, and the caller's subscriptions only, all from SQL.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { seedDemo } from "@/lib/db/seed";
import { demoSubscriptions } from "@/lib/demo/directory";
import { DashboardParams } from "./list-params";
import { dashboardPage, type DashboardCursor, type KeyStateFilter } from "./store";

let database: TestDatabase;
const contoso = demoSubscriptions.contosoMedia.id;
const fabrikam = demoSubscriptions.fabrikamMedia.id;

const account = (subscriptionId: string, name: string, keyStatus?: "Active" | "Inaccessible", group = "dash-rg") => ({
  subscriptionId,
  resourceGroup: group,
  resourceGroupKey: group,
  name,
  nameKey: name.toLowerCase(),
  location: "westus2",
  ...(keyStatus ? { encryptionType: "CustomerKey" as const, keyStatus } : {}),
});

before(async () => {
  database = await createTestDatabase({ forApp: true });
  await seedDemo(database.db); // contosomedia and fabrikammedia: one SystemKey account each
  await database.db.mediaAccount.createMany({
    data: [
      ...Array.from({ length: 7 }, (_, i) => account(contoso, `active${i}`, "Active")),
      account(contoso, "zlost", "Inaccessible"),
      account(contoso, "alost", "Inaccessible"),
      account(fabrikam, "fablost", "Inaccessible"),
    ],
  });
});
after(() => database.drop());

const names = (page: { accounts: { name: string }[] }) => page.accounts.map((a) => a.name);

/** Every page from the first by Next, then back from the last by Previous: what the links do. */
async function walk(subscriptionIds: string[], pageSize: number, state?: KeyStateFilter) {
  const forward: string[][] = [];
  let cursor: DashboardCursor | undefined;
  for (;;) {
    const page = await dashboardPage({ subscriptionIds, state, cursor, pageSize });
    forward.push(names(page));
    if (!page.next) break;
    cursor = { direction: "after", at: page.next };
  }
  const backward: string[][] = [];
  cursor = { direction: "before", at: null };
  for (;;) {
    const page = await dashboardPage({ subscriptionIds, state, cursor, pageSize });
    backward.unshift(names(page));
    if (!page.previous) break;
    cursor = { direction: "before", at: page.previous };
  }
  return { forward, backward };
}

it("counts every state, totals each filter from those counts, and pages in order", async () => {
  const all = await dashboardPage({ subscriptionIds: [contoso], pageSize: 4 });
  assert.deepEqual(all.counts, { SystemKey: 1, CustomerKey: 7, CustomerKeyInaccessible: 2 });
  assert.equal(all.total, 10);
  assert.deepEqual(names(all), ["alost", "zlost", "active0", "active1"]);
  assert.equal(all.previous, null);
  const { forward, backward } = await walk([contoso], 4);
  assert.deepEqual(forward, [
    ["alost", "zlost", "active0", "active1"],
    ["active2", "active3", "active4", "active5"],
    ["active6", "contosomedia"],
  ]);
  // From the last page back, the pages end where the forward ones do (the first one is shorter).
  assert.deepEqual(backward, [
    ["alost", "zlost"],
    ["active0", "active1", "active2", "active3"],
    ["active4", "active5", "active6", "contosomedia"],
  ]);
  const lost = await dashboardPage({ subscriptionIds: [contoso], state: "CustomerKeyInaccessible", pageSize: 4 });
  assert.equal(lost.total, 2);
  assert.deepEqual(names(lost), ["alost", "zlost"]);
  assert.deepEqual({ next: lost.next, previous: lost.previous }, { next: null, previous: null });
  const active = await walk([contoso], 4, "CustomerKey");
  assert.deepEqual(active.forward, [
    ["active0", "active1", "active2", "active3"],
    ["active4", "active5", "active6"],
  ]);
});

it("pages the accounts of several subscriptions as one list, equal names by id, and starts where a cursor says", async () => {
  const twins = await database.db.mediaAccount.createManyAndReturn({
    data: [account(contoso, "Active3", "Active", "twin-rg"), account(fabrikam, "active3", "Active")],
    select: { id: true },
  });
  try {
    const both = [contoso, fabrikam];
    const { forward, backward } = await walk(both, 3);
    const everything = forward.flat();
    assert.deepEqual(everything.slice(0, 4), ["alost", "fablost", "zlost", "active0"]);
    assert.deepEqual(everything.filter((n) => n.toLowerCase() === "active3").length, 3);
    assert.equal(new Set(everything.map((n) => n.toLowerCase())).size + 2, everything.length); // three active3, nothing twice
    assert.deepEqual(backward.flat(), everything);
    assert.deepEqual(everything.slice(-2), ["contosomedia", "fabrikammedia"]);
    // A cursor whose account was deleted still starts just after where it was.
    const gone = { keyStatus: "Active" as const, nameKey: "active25", id: "00000000-0000-4000-8000-000000000000" };
    const page = await dashboardPage({ subscriptionIds: both, cursor: { direction: "after", at: gone }, pageSize: 2 });
    assert.deepEqual(
      names(page).map((n) => n.toLowerCase()),
      ["active3", "active3"],
    );
  } finally {
    await database.db.mediaAccount.deleteMany({ where: { id: { in: twins.map((t) => t.id) } } });
  }
});

it("reads only the caller's subscriptions", async () => {
  const fab = await dashboardPage({ subscriptionIds: [fabrikam], pageSize: 50 });
  assert.deepEqual(fab.counts, { SystemKey: 1, CustomerKey: 0, CustomerKeyInaccessible: 1 });
  assert.deepEqual(names(fab).sort(), ["fablost", "fabrikammedia"]);
  const both = await dashboardPage({ subscriptionIds: [contoso, fabrikam], state: "SystemKey", pageSize: 50 });
  assert.equal(both.total, 2);
  const none = await dashboardPage({ subscriptionIds: [], pageSize: 50 });
  assert.deepEqual({ total: none.total, accounts: none.accounts }, { total: 0, accounts: [] });
});

it("reads a malformed or foreign cursor in the URL as the first page", () => {
  for (const after of [
    "x",
    "Active~a~b",
    "Active~UPPER~00000000-0000-4000-8000-000000000000",
    "Lost~abc~00000000-0000-4000-8000-000000000000",
    ["a", "b"],
  ])
    assert.equal(DashboardParams.parse({ after, before: after, page: "7" }).after, undefined);
  const id = "0A000000-0000-4000-8000-000000000000";
  assert.deepEqual(DashboardParams.parse({ after: `Inaccessible~abc~${id}`, page: "last" }), {
    after: { keyStatus: "Inaccessible", nameKey: "abc", id: id.toLowerCase() },
    page: "last",
  });
});

it("keeps AccountStateCount equal to a GROUP BY through inserts, state changes, encryption switches and deletes, and leaves it alone on a check", async () => {
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  const same = async (step: string) => {
    const { rows: kept } = await sql.query(
      `SELECT "subscriptionId", "encryptionType", "keyStatus", "count" FROM "AccountStateCount" WHERE "count" <> 0 ORDER BY 1, 2, 3`,
    );
    const { rows: counted } = await sql.query(
      `SELECT "subscriptionId", "encryptionType", "keyStatus", count(*)::int AS "count" FROM "MediaAccount" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    );
    assert.deepEqual(kept, counted, step);
  };
  try {
    await same("the migration's backfill and the before() inserts");
    const { rows } = await sql.query<{ id: string }>(
      `INSERT INTO "MediaAccount" (id, "subscriptionId", "resourceGroup", "resourceGroupKey", name, "nameKey", location, "encryptionType", "keyStatus", "updatedAt")
       SELECT gen_random_uuid(), $1, 'count-rg', 'count-rg', 'count' || i, 'count' || i, 'westus2', 'CustomerKey',
         (CASE WHEN i % 3 = 0 THEN 'Inaccessible' ELSE 'Active' END)::"KeyStatus", now()
       FROM generate_series(1, 30) i RETURNING id`,
      [fabrikam],
    );
    await same("a bulk insert");
    const ids = rows.map((r) => r.id);
    await database.db.mediaAccount.updateMany({
      where: { id: { in: ids.slice(0, 10) } },
      data: { keyStatus: "Inaccessible" },
    });
    await same("state changes");
    await database.db.mediaAccount.update({ where: { id: ids[11]! }, data: { keyStatus: "Active" } });
    await database.db.mediaAccount.updateMany({
      where: { id: { in: ids.slice(20, 25) } },
      data: { encryptionType: "SystemKey", keyStatus: "Active" },
    });
    await same("encryption switches");
    // A check that finds the state unchanged writes only its timestamps: the counts' rows stay as they were.
    const version = `SELECT string_agg(xmin::text, ',' ORDER BY "encryptionType", "keyStatus") AS v FROM "AccountStateCount" WHERE "subscriptionId" = $1`;
    const beforeCheck = (await sql.query(version, [fabrikam])).rows[0].v;
    await database.db.mediaAccount.updateMany({
      where: { id: { in: ids } },
      data: { lastCheckAt: new Date(), keyStatus: undefined },
    });
    await sql.query(
      `UPDATE "MediaAccount" SET "keyStatus" = "keyStatus", "nextCheckAt" = now() WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    assert.equal((await sql.query(version, [fabrikam])).rows[0].v, beforeCheck);
    await database.db.mediaAccount.deleteMany({ where: { id: { in: ids.slice(5, 28) } } });
    await same("deletes");
    await database.db.mediaAccount.deleteMany({ where: { id: { in: ids } } });
    await same("the rest deleted");
    const fab = await dashboardPage({ subscriptionIds: [fabrikam], pageSize: 50 });
    assert.deepEqual(fab.counts, { SystemKey: 1, CustomerKey: 0, CustomerKeyInaccessible: 1 });
  } finally {
    await sql.end();
  }
});
