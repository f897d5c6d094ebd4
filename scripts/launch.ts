/**
 * `npm run serve` (and `npm start`, after the build): brings the whole product up on one machine.
 *
 *   1. the embedded PostgreSQL (PGlite over the wire protocol, data in DATA_DIR), unless
 *      DATABASE_URL names a server;
 *   2. migrations, then the idempotent demo seed (local profile);
 *   3. the local Azure emulator (local profile), before anything that calls Azure;
 *   4. the long-running processes, under `concurrently`: the portal's production server, the
 *      key-delivery listener (KEY_DELIVERY_PORT) and the key monitor worker. They get IDENTITY_ENDPOINT and
 *      IDENTITY_HEADER for the emulator's managed identity endpoint, the variables Azure App
 *      Service sets, so the same code finds its managed identities in Azure.
 *
 * Ctrl-C stops every process and then the database; a second start reuses the data.
 * `--reset-data` deletes DATA_DIR first (the e2e suite starts from nothing that way).
 */
import "dotenv/config";
import { randomBytes } from "node:crypto";
import { rm, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import concurrently from "concurrently";
import { ConfigError, loadConfig, type AppConfig } from "@/lib/config";
import { createDb } from "@/lib/db/client";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "@/lib/db/embedded-postgres";
import { assertAzureReachable } from "@/lib/health/startup-checks";
import { applyMigrations } from "@/lib/db/schema-engine";
import { seedDemo } from "@/lib/db/seed";
import { startEmulatorFor } from "@/emulator/for-config";
import type { RunningEmulator } from "@/emulator/server";

// Resolved from this project, so the launcher works outside `npm run` (no node_modules/.bin on PATH).
const nextBin = JSON.stringify(createRequire(import.meta.url).resolve("next/dist/bin/next"));

const log = (message: string) => console.log(`[start] ${message}`);

async function startDatabase(config: AppConfig): Promise<EmbeddedPostgres | null> {
  const embedded = config.database.embedded;
  if (!embedded) {
    log("database: the PostgreSQL server of DATABASE_URL");
    return null;
  }
  await mkdir(embedded.dir, { recursive: true });
  try {
    const server = await startEmbeddedPostgres({ dataDir: embedded.dir, port: embedded.port });
    log(`database: embedded PGlite on 127.0.0.1:${embedded.port}, data in ${embedded.dir}`);
    return server;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new Error(
        `Port ${embedded.port} for the embedded database is in use: is another \`npm start\` running? ` +
          "Stop it, or set EMBEDDED_DB_PORT (and PORT) to free ports.",
      );
    }
    throw err;
  }
}

/** Where the database is, for messages: the variable it came from and its host, never credentials. */
function describeDatabase(config: AppConfig): string {
  const url = new URL(config.database.url);
  const where = `${url.hostname}:${url.port || 5432}${url.pathname}`;
  return config.database.embedded ? `${where} (embedded)` : `DATABASE_URL (${where})`;
}

/** Resolves true once healthy, false if the processes stopped first. */
async function waitForHealth(url: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted) {
    try {
      const res = await fetch(url);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main() {
  const config = loadConfig();
  if (config.profile === "azure") {
    await assertAzureReachable(config);
    log("azure: Entra ID, ARM, the managed identity, the system key and the database answer");
  }
  if (process.argv.includes("--reset-data")) {
    await rm(config.dataDir, { recursive: true, force: true });
    log(`reset: removed ${config.dataDir}`);
  }
  const database = await startDatabase(config);
  let emulator: RunningEmulator | null = null;
  try {
    const applied = await applyMigrations(config.database.url).catch((err: Error) => {
      throw new Error(`The database at ${describeDatabase(config)} cannot be used: ${err.message}`);
    });
    log(applied.length ? `migrations applied: ${applied.join(", ")}` : "migrations: up to date");
    if (config.profile === "local") {
      const db = createDb(config.database.url, 1);
      await seedDemo(db);
      await db.$disconnect();
      log("demo data: seeded");
    }

    const childEnv: Record<string, string> = {};
    if (config.emulator) {
      const identityHeader = randomBytes(24).toString("base64url");
      emulator = await startEmulatorFor(config, identityHeader).catch((err: NodeJS.ErrnoException) => {
        throw err.code === "EADDRINUSE"
          ? new Error(
              `Port ${config.emulator!.port} or ${config.emulator!.identityPort} for the Azure emulator is in use: set EMULATOR_PORT and EMULATOR_IDENTITY_PORT to free ports.`,
            )
          : err;
      });
      Object.assign(childEnv, { IDENTITY_ENDPOINT: emulator.identityEndpoint, IDENTITY_HEADER: identityHeader });
    }

    // Locally nothing listens beyond loopback; behind a load balancer the portal must.
    const host = config.profile === "local" ? "127.0.0.1" : "0.0.0.0";
    const node = JSON.stringify(process.execPath);
    const { result } = concurrently(
      [
        { name: "portal", command: `${node} ${nextBin} start --hostname ${host} --port ${config.port}`, env: childEnv },
        {
          name: "keys",
          command: `${node} --conditions=react-server --import tsx scripts/key-delivery.ts`,
          env: childEnv,
        },
        { name: "worker", command: `${node} --conditions=react-server --import tsx scripts/worker.ts`, env: childEnv },
      ],
      {
        prefix: "[{name}]",
        killOthersOn: ["failure", "success"],
        prefixColors: ["cyan", "green", "magenta", "yellow"],
      },
    );
    const healthUrl = `http://127.0.0.1:${config.port}/api/health`;
    const stopped = new AbortController();
    waitForHealth(healthUrl, 60_000, stopped.signal).then(
      (healthy) => healthy && log(`ready: portal at http://localhost:${config.port}  (Ctrl-C stops everything)`),
      (err: Error) => log(err.message),
    );
    await result.catch(() => {
      // concurrently rejects when a process exits non-zero; its own log already said which.
      process.exitCode = 1;
    });
    stopped.abort();
  } finally {
    await emulator?.stop();
    await database?.stop();
    log("stopped");
  }
}

main().catch((err: Error) => {
  console.error(err instanceof ConfigError ? err.message : `[start] ${err.stack ?? err.message}`);
  process.exit(1);
});
