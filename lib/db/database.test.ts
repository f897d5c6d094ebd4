import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoSubscriptions, demoUsers } from "@/lib/demo/directory";
import { applyMigrations } from "./schema-engine";
import { seedDemo } from "./seed";
import { createTestDatabase, type TestDatabase } from "./test-database";

describe(`database on ${process.env.TEST_DATABASE ? "a PostgreSQL server" : "PGlite"}`, () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(async () => {
    await t?.drop();
  });

  it("has every migration applied, and applying again changes nothing", async () => {
    assert.deepEqual(await applyMigrations(t.url), []);
    const rows = await t.db.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL`;
    assert.ok(Number(rows[0]?.n) >= 1);
  });

  it("round-trips rows through Prisma, including a transaction that rolls back", async () => {
    const sub = await t.db.subscription.create({
      data: { id: "9f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0", displayName: "Round trip", tenantId: demoUsers.owner.tenant },
    });
    const account = await t.db.mediaAccount.create({
      data: {
        subscriptionId: sub.id,
        resourceGroup: "rg",
        name: "roundtrip",
        resourceGroupKey: "rg",
        nameKey: "roundtrip",
        location: "westus2",
      },
    });
    const read = await t.db.mediaAccount.findUniqueOrThrow({
      where: { id: account.id },
      include: { subscription: true },
    });
    assert.equal(read.subscription.displayName, "Round trip");
    assert.equal(read.identityType, "None");

    await assert.rejects(
      t.db.$transaction(async (tx) => {
        await tx.auditEvent.create({
          data: { actor: "test", action: "probe", outcome: "success", accountId: account.id },
        });
        throw new Error("abort");
      }),
      /abort/,
    );
    assert.equal(await t.db.auditEvent.count({ where: { accountId: account.id } }), 0);

    await assert.rejects(
      t.db.mediaAccount.create({
        data: {
          subscriptionId: sub.id,
          resourceGroup: "RG",
          name: "RoundTrip",
          resourceGroupKey: "rg",
          nameKey: "roundtrip",
          location: "eastus",
        },
      }),
      (err: { code?: string }) => err.code === "P2002",
      "name is unique within a resource group",
    );
  });

  it("seeds the demo idempotently", async () => {
    await seedDemo(t.db);
    await seedDemo(t.db);
    assert.equal(await t.db.roleAssignment.count({ where: { subscriptionId: demoSubscriptions.contosoMedia.id } }), 3);
    assert.equal(await t.db.mediaAccount.count({ where: { name: "contosomedia" } }), 1);
  });
});
