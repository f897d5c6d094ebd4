/**
 * A fresh, migrated database for one test file, on the engine that TEST_DATABASE names:
 * - `pglite` (default): an in-memory PGlite served on a free loopback port;
 * - a postgresql:// URL of a server: a new database `test_<random>` on it, dropped afterwards.
 * `npm test` runs the suite once per engine.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, disconnectDb, type Db } from "./client";
import { startEmbeddedPostgres } from "./embedded-postgres";
import { applyMigrations } from "./schema-engine";

export interface TestDatabase {
  url: string;
  engine: "pglite" | "postgres";
  db: Db;
  drop(): Promise<void>;
}

/**
 * `forApp`: also make it the database of the app's own modules in this process (through
 * DATABASE_URL, read when lib/db/client.ts first connects), for tests of lib/ code that calls db().
 */
export async function createTestDatabase(options: { forApp?: boolean } = {}): Promise<TestDatabase> {
  const created = await create();
  if (!options.forApp) return created;
  process.env.DATABASE_URL = created.url;
  return {
    ...created,
    async drop() {
      await disconnectDb();
      await created.drop();
    },
  };
}

async function create(): Promise<TestDatabase> {
  const target = process.env.TEST_DATABASE || "pglite";
  if (target === "pglite") {
    const server = await startEmbeddedPostgres({ port: 0 });
    return migrated(server.url, "pglite", () => server.stop());
  }
  const name = `test_${randomBytes(6).toString("hex")}`;
  await adminQuery(target, `CREATE DATABASE "${name}"`);
  const url = new URL(target);
  url.pathname = `/${name}`;
  return migrated(url.href, "postgres", () => adminQuery(target, `DROP DATABASE "${name}" WITH (FORCE)`));
}

async function migrated(
  url: string,
  engine: TestDatabase["engine"],
  remove: () => Promise<void>,
): Promise<TestDatabase> {
  await applyMigrations(url);
  const db = createDb(url);
  return {
    url,
    engine,
    db,
    async drop() {
      await db.$disconnect();
      await remove();
    },
  };
}

async function adminQuery(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
