/**
 * `npm run db:migrate`: applies prisma/migrations to the configured database (DATABASE_URL, or
 *   the embedded PGlite, which `npm start` must then be running).
 * `npm run db:diff -- <name>`: writes a new migration for the changes in prisma/schema.prisma.
 *   It replays the migrations in a shadow database on a PostgreSQL server (DIFF_DATABASE_URL,
 *   default the local server on 127.0.0.1:5432), because PGlite cannot describe its own schema
 *   to the engine. See lib/db/schema-engine.ts.
 */
import "dotenv/config";
import { loadConfig } from "@/lib/config";
import { applyMigrations, diffToMigration } from "@/lib/db/schema-engine";

const [command, name] = process.argv.slice(2);

if (command === "migrate") {
  const applied = await applyMigrations(loadConfig().database.url);
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Already up to date.");
} else if (command === "diff" && name) {
  const url = process.env.DIFF_DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
  const dir = await diffToMigration(url, name);
  console.log(dir ? `Wrote ${dir}/migration.sql` : "No schema change: nothing written.");
} else {
  console.error("usage: npm run db:migrate | npm run db:diff -- <lower_snake_case_name>");
  process.exit(2);
}
