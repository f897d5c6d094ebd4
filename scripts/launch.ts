/**
 * `npm run serve` (and `npm start`, after the build): brings the whole product up on one machine.
 *
 *   1. the embedded PostgreSQL (PGlite over the wire protocol, data in DATA_DIR), unless
 *      DATABASE_URL names a server;
 *   2. migrations, then the idempotent demo seed (local profile);
 *   3. the local Azure emulator (local profile), before anything that calls Azure;
 *   4. the long-running processes, under a supervisor that restarts one that crashes (with
 *      backoff) while the others keep serving: the portal's production server (`scripts/portal.ts`),
 *      the key-delivery listener (KEY_DELIVERY_PORT) and the worker (key monitor and jobs);
 *      `--portals N --workers M` runs more portals and workers. They get IDENTITY_ENDPOINT and
 *      IDENTITY_HEADER for the emulator's managed identity endpoint, the variables Azure App
 *      Service sets, so the same code finds its managed identities in Azure.
 *
 * Ctrl-C or SIGTERM stops every process (each drains or hands its work back) and then the database; a second start reuses the data.
 * `--reset-data` deletes DATA_DIR first (the e2e suite starts from nothing that way).
 */
import "dotenv/config";
import { randomBytes } from "node:crypto";
import { rm, mkdir } from "node:fs/promises";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig, type AppConfig } from "@/lib/config";
import { createDb } from "@/lib/db/client";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "@/lib/db/embedded-postgres";
import { assertAzureReachable } from "@/lib/health/startup-checks";
import { applyMigrations } from "@/lib/db/schema-engine";
import { seedDemo } from "@/lib/db/seed";
import { startEmulatorFor } from "@/emulator/for-config";
import { supervise } from "./supervisor";
import type { RunningEmulator } from "@/emulator/server";

const log = (message: string) => console.log(`[start] ${message}`);

/**
 * `--portals N --workers M` (default 1 and 1): several portals (on PORT, PORT+1, ...) and workers
 * on one database, as a deployment with more than one instance runs them.
 */
function processCounts(): { portals: number; workers: number } {
  const { values } = parseArgs({
    options: {
      portals: { type: "string", default: "1" },
      workers: { type: "string", default: "1" },
      "reset-data": { type: "boolean" },
    },
  });
  const count = (name: "portals" | "workers", max: number) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < (name === "portals" ? 1 : 0) || n > max) {
      throw new ConfigError(
        `--${name} must be a whole number from ${name === "portals" ? 1 : 0} to ${max}, not "${values[name]}".`,
      );
    }
    return n;
  };
  return { portals: count("portals", 16), workers: count("workers", 16) };
}

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
  const { portals, workers } = processCounts();
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
    const portalPorts = Array.from({ length: portals }, (_, i) => config.port + i);
    const tsx = [process.execPath, "--import", "tsx"] as const;
    const numbered = (name: string, i: number) => (i === 0 ? name : `${name}-${i + 1}`);
    const supervisor = supervise(
      [
        ...portalPorts.map((port, i) => ({
          name: numbered("portal", i),
          command: tsx[0],
          args: [...tsx.slice(1), "scripts/portal.ts", "--hostname", host, "--port", String(port)],
          env: childEnv,
        })),
        {
          name: "keys",
          command: tsx[0],
          args: ["--conditions=react-server", ...tsx.slice(1), "scripts/key-delivery.ts"],
          env: childEnv,
        },
        ...Array.from({ length: workers }, (_, i) => ({
          name: numbered("worker", i),
          command: tsx[0],
          args: ["--conditions=react-server", ...tsx.slice(1), "scripts/worker.ts"],
          // Each worker serves its own /metrics: the configured port plus its index.
          env: config.metrics.workerPort
            ? { ...childEnv, WORKER_METRICS_PORT: String(config.metrics.workerPort + i) }
            : childEnv,
        })),
      ],
      { log: (line) => console.log(line) },
    );
    const stopped = new AbortController();
    Promise.all(
      portalPorts.map((port) => waitForHealth(`http://127.0.0.1:${port}/api/health`, 60_000, stopped.signal)),
    ).then(
      (healthy) =>
        healthy.every(Boolean) &&
        log(
          `ready: portal at ${portalPorts.map((port) => `http://localhost:${port}`).join(", ")}, ${workers} worker(s)  (Ctrl-C stops everything)`,
        ),
      (err: Error) => log(err.message),
    );
    // Only Ctrl-C or SIGTERM ends the processes; a crashed one is restarted by the supervisor.
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    });
    log(`${signal}: stopping`);
    await supervisor.stop();
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
