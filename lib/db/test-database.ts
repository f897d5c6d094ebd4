/**
 * A fresh, migrated database for one test file, on the engine that TEST_DATABASE names:
 * - `pglite` (default): an in-memory PGlite served on a free loopback port;
 * - a postgresql:// URL of a server: a new database `test_<random>` on it, dropped afterwards.
 * `npm test` runs the suite once per engine.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "./client";
import { startEmbeddedPostgres } from "./embedded-postgres";
import { applyMigrations } from "./schema-engine";

export interface TestDatabase {
  url: string;
  engine: "pglite" | "postgres";
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const target = process.env.TEST_DATABASE || "pglite";
  if (target === "pglite") {
    const server = await startEmbeddedPostgres({ port: 0 });
    await applyMigrations(server.url);
    const db = createDb(server.url);
    return {
      url: server.url,
      engine: "pglite",
      db,
      async drop() {
        await db.$disconnect();
        await server.stop();
      },
    };
  }
  const name = `test_${randomBytes(6).toString("hex")}`;
  await adminQuery(target, `CREATE DATABASE "${name}"`);
  const url = new URL(target);
  url.pathname = `/${name}`;
  await applyMigrations(url.href);
  const db = createDb(url.href);
  return {
    url: url.href,
    engine: "postgres",
    db,
    async drop() {
      await db.$disconnect();
      await adminQuery(target, `DROP DATABASE "${name}" WITH (FORCE)`);
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
