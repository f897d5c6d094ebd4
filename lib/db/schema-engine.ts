/**
 * Offline migrations through Prisma's official WebAssembly schema engine.
 *
 * Why not `prisma migrate`: the Prisma CLI downloads a native schema engine from a host that
 * this network cannot reach, and silently does nothing without it. The WebAssembly build of the
 * same engine ships on npm (`@prisma/schema-engine-wasm`, pinned to the hash of the installed
 * `prisma`) and talks to the database through a driver adapter. The migration files it writes
 * are ordinary Prisma migrations: `prisma migrate deploy` applies them wherever the native
 * engine exists.
 *
 * Two quirks are handled here and nowhere else:
 * - The engine's catalog queries return PostgreSQL `"char"` columns (type OID 18), which
 *   `@prisma/adapter-pg` refuses to deserialize; they are reported as text (OID 25).
 * - Describing a PGlite (PostgreSQL 18) schema panics, so migrations are *created* against a
 *   PostgreSQL server (`npm run db:diff`), and *applied* everywhere, PGlite included.
 */
import { randomUUID } from "node:crypto";
import { readFile, readdir, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import type { MigrationList, SchemaEngine } from "@prisma/schema-engine-wasm";

const root = path.resolve(import.meta.dirname, "../..");
export const schemaPath = path.join(root, "prisma/schema.prisma");
export const migrationsDir = path.join(root, "prisma/migrations");
const noFilters = { externalTables: [], externalEnums: [] };

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type QueryResultLike = { fields?: { dataTypeID: number }[] } | undefined;

function reportCharAsText<T extends QueryResultLike>(result: T): T {
  for (const field of result?.fields ?? []) {
    if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
  }
  return result;
}

/** A pg client whose results describe `"char"` columns as text (see the module comment). */
class CatalogFriendlyClient extends pg.Client {
  // pg's overloads cannot be re-declared one by one; this forwards every form unchanged.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
  override query(...args: any[]): any {
    const last = args.at(-1);
    if (typeof last === "function") {
      // pg.Pool#query passes a callback rather than awaiting a promise.
      args[args.length - 1] = (err: Error | null, res: QueryResultLike) => last(err, reportCharAsText(res));
      return (super.query as (...a: unknown[]) => unknown)(...args);
    }
    const result = (super.query as (...a: unknown[]) => unknown)(...args);
    return result instanceof Promise ? result.then(reportCharAsText) : result;
  }
}

/**
 * The engine arms 10 s timers (its own timeouts) that would keep a finished CLI or test process
 * alive; unref'd, they still fire while the process lives but never hold it open.
 */
function withUnrefTimers(glue: WebAssembly.ModuleImports): WebAssembly.ModuleImports {
  const imports: WebAssembly.ModuleImports = { ...glue };
  for (const [name, fn] of Object.entries(glue)) {
    if (name.startsWith("__wbg_setTimeout_") && typeof fn === "function") {
      imports[name] = (...args: unknown[]) => {
        const timer = (fn as (...a: unknown[]) => { unref?: () => void })(...args);
        timer?.unref?.();
        return timer;
      };
    }
  }
  return imports;
}

function poolFor(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 2, Client: CatalogFriendlyClient });
}

/**
 * adapter-pg runs a migration script statement by statement, split at every ';', which cuts a
 * dollar-quoted function body (a trigger's) apart. A script with one is sent whole instead, as one
 * simple query, which PostgreSQL and PGlite run in one implicit transaction.
 */
function withWholeScripts<A extends { executeScript(script: string): Promise<void> }>(adapter: A, pool: pg.Pool): A {
  const split = adapter.executeScript.bind(adapter);
  adapter.executeScript = async (script) => {
    if (!script.includes("$$")) return split(script);
    await pool.query(script);
  };
  return adapter;
}

/**
 * PrismaPg's own connectToShadowDb cannot be used: it builds the shadow pool as
 * { ...pool.options, database }, where pg lets the connectionString override `database` (so the
 * "shadow" replay would run in the real database), and it drops the shadow database before
 * closing that pool (which PostgreSQL refuses). This one does both right.
 */
class ShadowDatabaseFactory extends PrismaPg {
  constructor(
    private readonly mainPool: pg.Pool,
    private readonly url: string,
  ) {
    super(mainPool);
  }

  override async connect() {
    return withWholeScripts(await super.connect(), this.mainPool);
  }

  override async connectToShadowDb() {
    const name = `prisma_shadow_${randomUUID().replace(/-/g, "")}`;
    await this.mainPool.query(`CREATE DATABASE "${name}"`);
    const shadowUrl = new URL(this.url);
    shadowUrl.pathname = `/${name}`;
    const shadowPool = poolFor(shadowUrl.href);
    const adapter = withWholeScripts(await new PrismaPg(shadowPool).connect(), shadowPool);
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await shadowPool.end();
      await this.mainPool.query(`DROP DATABASE IF EXISTS "${name}"`);
    };
    return adapter;
  }
}

let engineModule: Promise<typeof import("@prisma/schema-engine-wasm")> | undefined;

/**
 * Instantiates the engine's WebAssembly module from its bytes, which is what the package's own
 * entry does through an ESM `.wasm` import (that needs --experimental-wasm-modules on Node 20).
 */
function loadEngineModule() {
  engineModule ??= (async () => {
    const require = createRequire(import.meta.url);
    const gluePath = require.resolve("@prisma/schema-engine-wasm/schema_engine_bg");
    const glue = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const bytes = await readFile(path.join(path.dirname(gluePath), "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, {
      "./schema_engine_bg.js": withUnrefTimers(glue as unknown as WebAssembly.ModuleImports),
    });
    (glue as unknown as { __wbg_set_wasm(w: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as { __wbindgen_start(): void }).__wbindgen_start();
    return glue as unknown as typeof import("@prisma/schema-engine-wasm");
  })();
  return engineModule;
}

async function withEngine<T>(url: string, work: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadEngineModule();
  const pool = poolFor(url);
  const adapter = bindMigrationAwareSqlAdapterFactory(new ShadowDatabaseFactory(pool, url));
  const schema = await readFile(schemaPath, "utf8");
  const engine = await SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    () => {}, // engine log lines: nothing an operator needs
    adapter,
  );
  try {
    return await work(engine);
  } finally {
    engine.free();
    await pool.end();
  }
}

async function readMigrations(): Promise<MigrationList> {
  const lockfileName = "migration_lock.toml";
  const lockContent = await readFile(path.join(migrationsDir, lockfileName), "utf8").catch(() => null);
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return {
    baseDir: migrationsDir,
    lockfile: { path: lockfileName, content: lockContent },
    shadowDbInitScript: "",
    migrationDirectories: await Promise.all(
      dirs.map(async (dir) => ({
        path: dir,
        migrationFile: {
          path: "migration.sql",
          content: await readFile(path.join(migrationsDir, dir, "migration.sql"), "utf8").then(
            (content) => ({ tag: "ok" as const, value: content }),
            (err: Error) => ({ tag: "error" as const, value: err.message }),
          ),
        },
      })),
    ),
  };
}

/** Applies every migration in prisma/migrations that the database has not seen yet. */
export async function applyMigrations(url: string): Promise<string[]> {
  const migrationsList = await readMigrations();
  const out = await withEngine(url, (engine) => engine.applyMigrations({ migrationsList, filters: noFilters }));
  return out.appliedMigrationNames;
}

/**
 * Writes prisma/migrations/<timestamp>_<name>/migration.sql with the SQL that takes the existing
 * migrations to the current schema. `url` must be a PostgreSQL server on which a shadow
 * database can be created (the engine replays the migrations there). Returns the new folder, or
 * null when the schema has not changed.
 */
export async function diffToMigration(url: string, name: string): Promise<string | null> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Migration name "${name}" must be lower_snake_case.`);
  const migrationsList = await readMigrations();
  const schema = await readFile(schemaPath, "utf8");
  const result = await withEngine(url, (engine) =>
    engine.diff({
      from: migrationsList.migrationDirectories.length ? { tag: "migrations", ...migrationsList } : { tag: "empty" },
      to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: true,
      filters: noFilters,
    }),
  );
  if (result.exitCode !== 2 || !result.stdout) return null;
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const dir = path.join(migrationsDir, `${stamp}_${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), result.stdout);
  await writeFile(
    path.join(migrationsDir, "migration_lock.toml"),
    '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
  );
  return dir;
}
