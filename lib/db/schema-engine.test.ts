import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import pg from "pg";
import { createTestDatabase, type TestDatabase } from "./test-database";
import { diffToMigration } from "./schema-engine";

// The diff replays the migrations in a shadow database, which only a PostgreSQL server can host.
const server = process.env.TEST_DATABASE;

let t: TestDatabase;
before(async () => {
  if (server) t = await createTestDatabase();
});
after(async () => t?.drop());

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

it(
  "diffs in a shadow database of its own, leaves the target alone, and drops the shadow",
  { skip: server ? false : "needs a PostgreSQL server (TEST_DATABASE)" },
  async () => {
    const tablesBefore = await query<{ tablename: string }>(
      t.url,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    assert.equal(await diffToMigration(t.url, "nothing_changed"), null, "the committed migrations match the schema");
    assert.deepEqual(
      await query(t.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"),
      tablesBefore,
    );
    assert.deepEqual(await query(t.url, "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'"), []);
  },
);
