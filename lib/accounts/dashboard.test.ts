/**
 * The dashboard's data (dashboardPage): counts per state, each filter's total and page, the order
 * (inaccessible first, then by name) and the caller's subscriptions only, all from SQL.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { seedDemo } from "@/lib/db/seed";
import { demoSubscriptions } from "@/lib/demo/directory";
import { dashboardPage } from "./store";

let database: TestDatabase;
const contoso = demoSubscriptions.contosoMedia.id;
const fabrikam = demoSubscriptions.fabrikamMedia.id;

before(async () => {
  database = await createTestDatabase({ forApp: true });
  await seedDemo(database.db); // contosomedia and fabrikammedia: one SystemKey account each
  const account = (subscriptionId: string, name: string, keyStatus?: "Active" | "Inaccessible") => ({
    subscriptionId,
    resourceGroup: "dash-rg",
    resourceGroupKey: "dash-rg",
    name,
    nameKey: name,
    location: "westus2",
    ...(keyStatus ? { encryptionType: "CustomerKey" as const, keyStatus } : {}),
  });
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

it("counts every state, totals each filter from those counts, and pages in order", async () => {
  const all = await dashboardPage({ subscriptionIds: [contoso], page: 0, pageSize: 4 });
  assert.deepEqual(all.counts, { SystemKey: 1, CustomerKey: 7, CustomerKeyInaccessible: 2 });
  assert.equal(all.total, 10);
  assert.deepEqual(
    all.accounts.map((a) => a.name),
    ["alost", "zlost", "active0", "active1"],
  );
  const last = await dashboardPage({ subscriptionIds: [contoso], page: 2, pageSize: 4 });
  assert.deepEqual(
    last.accounts.map((a) => a.name),
    ["active6", "contosomedia"],
  );
  const lost = await dashboardPage({
    subscriptionIds: [contoso],
    state: "CustomerKeyInaccessible",
    page: 0,
    pageSize: 4,
  });
  assert.equal(lost.total, 2);
  assert.deepEqual(
    lost.accounts.map((a) => a.name),
    ["alost", "zlost"],
  );
  const active = await dashboardPage({ subscriptionIds: [contoso], state: "CustomerKey", page: 1, pageSize: 4 });
  assert.equal(active.total, 7);
  assert.deepEqual(
    active.accounts.map((a) => a.name),
    ["active4", "active5", "active6"],
  );
});

it("reads only the caller's subscriptions", async () => {
  const fab = await dashboardPage({ subscriptionIds: [fabrikam], page: 0, pageSize: 50 });
  assert.deepEqual(fab.counts, { SystemKey: 1, CustomerKey: 0, CustomerKeyInaccessible: 1 });
  assert.deepEqual(fab.accounts.map((a) => a.name).sort(), ["fablost", "fabrikammedia"]);
  const both = await dashboardPage({ subscriptionIds: [contoso, fabrikam], state: "SystemKey", page: 0, pageSize: 50 });
  assert.equal(both.total, 2);
  const none = await dashboardPage({ subscriptionIds: [], page: 0, pageSize: 50 });
  assert.deepEqual({ total: none.total, accounts: none.accounts }, { total: 0, accounts: [] });
});
