/**
 * The launcher as a user runs it: a real process with its own data folder and ports. Needs the
 * production build (`npm run build`), which `npm test` makes first.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { createDb } from "@/lib/db/client";
import { freePort } from "@/test/support/ports";
import { spawnScript, type ScriptRun } from "@/test/support/scripts";

const launch = (env: Record<string, string>): ScriptRun => spawnScript("scripts/launch.ts", env);

async function waitFor(run: ScriptRun, text: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.child.exitCode !== null || Date.now() > deadline) {
      assert.fail(`launcher never printed "${text}":\n${run.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe(
  "npm start's launcher",
  { skip: process.env.TEST_DATABASE ? "runs on the embedded database only" : false },
  () => {
    let dataDir: string;
    let env: Record<string, string>;
    before(async () => {
      dataDir = await mkdtemp(path.join(os.tmpdir(), "byok-launch-"));
      env = {
        DATA_DIR: dataDir,
        PORT: String(await freePort()),
        KEY_DELIVERY_PORT: String(await freePort()),
        EMBEDDED_DB_PORT: String(await freePort()),
        EMULATOR_PORT: String(await freePort()),
        EMULATOR_IDENTITY_PORT: String(await freePort()),
      };
    });
    after(async () => {
      await rm(dataDir, { recursive: true, force: true });
    });

    it("serves a healthy portal, stops on SIGINT, and keeps the data across a restart", async () => {
      const first = launch(env);
      await waitFor(first, "[start] ready");
      assert.match(first.output(), /migrations applied: \d+_init/);
      const health = await fetch(`http://127.0.0.1:${env.PORT}/api/health`);
      assert.equal(health.status, 200);
      const report = await health.json();
      assert.equal(report.checks.database.ok, true);
      assert.equal(report.checks.emulator.ok, true, "the portal reaches the emulator over HTTPS, trusting its CA");

      const db = createDb(`postgresql://postgres@127.0.0.1:${env.EMBEDDED_DB_PORT}/postgres`, 1);
      await db.auditEvent.create({ data: { actor: "test", action: "restart-probe", outcome: "success" } });
      await db.$disconnect();

      first.child.kill("SIGINT");
      assert.equal(await first.exited, 0);
      assert.match(first.output(), /\[start\] stopped/);

      const second = launch(env);
      await waitFor(second, "[start] ready");
      assert.match(second.output(), /migrations: up to date/);
      const again = createDb(`postgresql://postgres@127.0.0.1:${env.EMBEDDED_DB_PORT}/postgres`, 1);
      assert.equal(await again.auditEvent.count({ where: { action: "restart-probe" } }), 1);
      assert.equal(await again.subscription.count(), 2, "the demo seed is idempotent");
      await again.$disconnect();
      second.child.kill("SIGINT");
      assert.equal(await second.exited, 0);
    });

    it("fails at start naming each missing variable of the azure profile", async () => {
      const run = launch({ APP_PROFILE: "azure", DATABASE_URL: "postgresql://app@127.0.0.1:1/media" });
      assert.equal(await run.exited, 1);
      assert.match(run.output(), /- AZURE_TENANT_ID: is required/);
      assert.match(run.output(), /- SESSION_SECRET: is required/);
      assert.doesNotMatch(run.output(), /- DATABASE_URL/);
    });

    it("fails at start naming a malformed or unreachable DATABASE_URL, without its password", async () => {
      const malformed = launch({ ...env, DATABASE_URL: "mysql://db/media" });
      assert.equal(await malformed.exited, 1);
      assert.match(malformed.output(), /- DATABASE_URL: must be a postgresql:\/\//);

      const unreachable = launch({
        ...env,
        DATABASE_URL: `postgresql://app:hunter2@127.0.0.1:${await freePort()}/media`,
      });
      assert.equal(await unreachable.exited, 1);
      assert.match(unreachable.output(), /The database at DATABASE_URL \(127\.0\.0\.1:\d+\/media\) cannot be used/);
      assert.doesNotMatch(unreachable.output(), /hunter2/);
    });
  },
);
