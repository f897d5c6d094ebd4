// Used by the Prisma CLI (`prisma generate`). Migrations run through lib/db/schema-engine.ts.
import "dotenv/config";
import { defineConfig } from "prisma/config";

// `prisma generate` never runs the native schema engine, but the CLI insists on downloading it
// first, from a host this network cannot reach. Pointing it at an existing file skips the
// download. Migrations use the official WebAssembly engine instead (lib/db/schema-engine.ts).
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= "node_modules/@prisma/schema-engine-wasm/schema_engine_bg.wasm";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres" },
});
