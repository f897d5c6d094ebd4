/**
 * The monitor and the dashboard as accounts grow: at each size of SIZES (seeded with the scale seed,
 * 1 % inaccessible, PER_VAULT accounts per vault), on the database TEST_DATABASE names (PostgreSQL
 * for the figures in the README):
 *   1. database queries and Key Vault calls (and managed-identity token requests) per account check,
 *      over CHECKS checks run in this process: they must not grow with the number of accounts;
 *   2. checks per minute with 1, 2 and 3 worker processes (`scripts/worker.ts`, every account due,
 *      a one-hour interval, Key Vault budget out of the way), each for WINDOW seconds, with each
 *      worker's CPU from /proc and the bench process's (the emulator runs here), and the accounts
 *      checked twice in the window (a trigger logs every check: must be 0);
 *   3. the plans of the claim and dashboard queries (Seq Scan on MediaAccount named if any);
 *   4. dashboard p95: the server functions the dashboard page awaits (dashboardPage, the timeline
 *      and the chart's transitions) for the first, a middle and the last page, unfiltered and per
 *      state (and the active filter's last page), RENDERS times; not an HTTP render (no Next build
 *      and sign-in on this busy machine).
 *
 * LATENCY_MS adds that much latency to every Key Vault request (the emulator's fault), as a real
 * vault's round trip would: a worker that checks one account at a time is then bound by it.
 *
 *   TEST_DATABASE=postgresql://postgres@127.0.0.1:5432/postgres npm run bench -- scale
 *   (SIZES=1000,10000,100000 PER_VAULT=1000 CHECKS=200 WORKERS=1,2,3 WINDOW=20 RENDERS=40 LATENCY_MS=0)
 */
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import v8 from "node:v8";
import vm from "node:vm";
import pg from "pg";
import {
  dashboardPage,
  recentTransitions,
  transitionsSince,
  type DashboardCursor,
  type DashboardKey,
  type KeyStateFilter,
} from "@/lib/accounts/store";
import { databaseQueryCount } from "@/lib/db/client";
import { cacheSizes } from "@/lib/observability/bounded-cache";
import { demoSubscriptions } from "@/lib/demo/directory";
import { startMonitor } from "@/lib/monitor/worker";
import { startAppEnvironment } from "@/test/support/app-environment";
import { SCALE_RESOURCE_GROUP, seedScale } from "@/test/support/scale-seed";
import { startWorkerProcess } from "./support/processes";

const list = (s: string) => s.split(",").map(Number);
const sizes = list(process.env.SIZES ?? "1000,10000,100000");
const perVault = Number(process.env.PER_VAULT ?? 1000);
const checks = Number(process.env.CHECKS ?? 200);
const workerCounts = list(process.env.WORKERS ?? "1,2,3");
const windowSeconds = Number(process.env.WINDOW ?? 20);
const renders = Number(process.env.RENDERS ?? 40);
const latencyMs = Number(process.env.LATENCY_MS ?? 0);
process.env.MONITOR_INTERVAL_SECONDS = "3600";
// The bench measures what the processes can do; what Key Vault's budget allows is arithmetic (README).
process.env.KEYVAULT_OPERATIONS_PER_10S = "1000000";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
/** Heap in use after a full collection, and the managed identity credentials cached. */
const heap = () => {
  gc();
  return { bytes: process.memoryUsage().heapUsed, identities: cacheSizes()["managed-identity-credentials"]?.size ?? 0 };
};

const env = await startAppEnvironment();
const sql = new pg.Client({ connectionString: env.database.url });
await sql.connect();
const subscriptionIds = [demoSubscriptions.contosoMedia.id];
const children: ChildProcess[] = [];
const ticks = 100; // USER_HZ: /proc's clock ticks per second on Linux

interface Row {
  size: number;
  seedSeconds: number;
  queriesPerCheck: number;
  /** The same accounts checked again by the same process: its tokens, clients and budget warm. */
  warmQueriesPerCheck: number;
  kvPerCheck: number;
  /** Heap per identity this process newly cached in the cold pass (credential, its token, its clients). */
  heapPerIdentity: number;
  /** Every HTTP request to a vault, the SDK's 401 challenge of each new client included: what the budget counts. */
  requestsPerCheck: number;
  tokensPerCheck: number;
  throughput: { workers: number; perMinute: number; cpu: number[]; benchCpu: number; twice: number }[];
  dashboardP95: number;
  dashboardMax: number;
  scans: string[];
}
const rows: Row[] = [];

const counters = async () => {
  const c = (await env.emu.admin("GET", "counters")).json as Record<string, Record<string, Record<string, number>>>;
  const sum = (target: string, skip = "") =>
    Object.values(c[target] ?? {})
      .flatMap((ops) => Object.entries(ops))
      .filter(([op]) => op !== skip)
      .reduce((n, [, v]) => n + v, 0);
  return { kv: sum("keyvault", "challenge"), all: sum("keyvault"), tokens: sum("managed-identity") };
};
/**
 * Every scale account due now, no lease, no check logged. `newestFirst`: the accounts seeded last are
 * claimed first, so the per-check cost at each size is measured on accounts this process never
 * checked (no cached token or client), as at the sizes before it.
 */
const allDue = async (order: "seed" | "newestFirst" = "seed") => {
  await sql.query(
    `UPDATE "MediaAccount" SET "nextCheckAt" = now() - interval '1 hour' + (substr(name, 6)::int * interval '1 ms' * ${order === "seed" ? 1 : -1}),
       "leaseOwner" = NULL, "leaseUntil" = NULL WHERE "resourceGroupKey" = $1`,
    [SCALE_RESOURCE_GROUP],
  );
  await sql.query(`TRUNCATE bench_check_log`);
  await sql.query(`VACUUM ANALYZE "MediaAccount"`);
};
const cpuTicks = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime
};
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function startWorkers(n: number): Promise<ChildProcess[]> {
  const starting = Array.from({ length: n }, () => startWorkerProcess({}));
  children.push(...starting.map((w) => w.child));
  await Promise.all(starting.map((w) => w.ready));
  return starting.map((w) => w.child);
}
async function stopWorkers(started: ChildProcess[]) {
  for (const child of started) child.kill("SIGTERM");
  await Promise.all(
    started.map(
      (c) =>
        new Promise((resolve) => {
          if (c.exitCode !== null) return resolve(null);
          const timer = setTimeout(() => c.kill("SIGKILL"), 30_000);
          c.once("exit", () => resolve(clearTimeout(timer)));
        }),
    ),
  );
}

const plans: Record<string, string> = {
  claim: `SELECT id FROM "MediaAccount" WHERE "encryptionType" = 'CustomerKey' AND "nextCheckAt" <= now()
    AND ("leaseUntil" IS NULL OR "leaseUntil" < now()) ORDER BY "nextCheckAt" LIMIT 50 FOR UPDATE SKIP LOCKED`,
  // The dashboard's keyset page (lib/accounts/store.ts dashboardRows): one key status at a time, from
  // a cursor (here a deep one) by a range on nameKey; its last page reads the index backwards.
  "dashboard page (all, deep)": `SELECT id FROM "MediaAccount" WHERE "subscriptionId" = $1::uuid AND "keyStatus" = 'Active'
    AND "nameKey" >= 'scale099000' AND ("nameKey" > 'scale099000' OR id > '00000000-0000-4000-8000-000000000000')
    ORDER BY "nameKey", id LIMIT 51`,
  "dashboard page (inaccessible)": `SELECT id FROM "MediaAccount" WHERE "subscriptionId" = $1::uuid
    AND "encryptionType" = 'CustomerKey' AND "keyStatus" = 'Inaccessible' ORDER BY "nameKey", id LIMIT 51`,
  "dashboard page (active, last)": `SELECT id FROM "MediaAccount" WHERE "subscriptionId" = $1::uuid
    AND "encryptionType" = 'CustomerKey' AND "keyStatus" = 'Active' ORDER BY "nameKey" DESC, id DESC LIMIT 51`,
  // The counts are kept in a table by triggers: a few rows per subscription.
  "dashboard counts": `SELECT "encryptionType", "keyStatus", "count" FROM "AccountStateCount" WHERE "subscriptionId" IN ($1::uuid)`,
};

try {
  // A log of every check (bench database only): an account logged twice in a window was checked twice.
  await sql.query(`CREATE TABLE bench_check_log (id uuid, at timestamptz)`);
  await sql.query(`CREATE FUNCTION bench_log_check() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO bench_check_log VALUES (NEW.id, NEW."lastCheckAt"); RETURN NEW; END $$`);
  await sql.query(`CREATE TRIGGER bench_log_check AFTER UPDATE OF "lastCheckAt" ON "MediaAccount"
    FOR EACH ROW WHEN (NEW."lastCheckAt" IS DISTINCT FROM OLD."lastCheckAt") EXECUTE FUNCTION bench_log_check()`);

  for (const size of sizes) {
    const seeded = await seedScale({
      databaseUrl: env.database.url,
      emulator: { url: env.emu.url, agent: env.emu.agent },
      count: size,
      accountsPerVault: perVault,
      onProgress: ({ phase, done, total }) => {
        if (done === total || done % 20_000 === 0) console.log(`  seed ${size}: ${phase} ${done}/${total}`);
      },
    });
    const row: Row = {
      size,
      seedSeconds: seeded.ms / 1000,
      queriesPerCheck: 0,
      warmQueriesPerCheck: 0,
      heapPerIdentity: 0,
      kvPerCheck: 0,
      requestsPerCheck: 0,
      tokensPerCheck: 0,
      throughput: [],
      dashboardP95: 0,
      dashboardMax: 0,
      scans: [],
    };

    // 1. Cost per check, in this process: on accounts it never checked, then on the same ones again.
    await allDue("newestFirst");
    await env.emu.admin("POST", "reset");
    if (latencyMs) await env.emu.admin("POST", "faults", { target: "keyvault", kind: "latency", latencyMs });
    const monitor = startMonitor({ loop: false });
    const pass = async () => {
      const queriesBefore = databaseQueryCount();
      let checked = 0;
      // Bounded: CHECKS / 50 batches, and never more than that many cycles.
      for (let cycle = 0; cycle < Math.ceil(checks / 50) && checked < checks; cycle++) {
        const outcomes = await monitor.runOnce();
        if (!outcomes.length) break;
        checked += outcomes.length;
      }
      return { checked, queries: databaseQueryCount() - queriesBefore };
    };
    const heapBefore = heap();
    const cold = await pass();
    const heapAfter = heap();
    row.heapPerIdentity =
      (heapAfter.bytes - heapBefore.bytes) / Math.max(1, heapAfter.identities - heapBefore.identities);
    const after = await counters();
    await allDue("newestFirst");
    const warm = await pass();
    await monitor.stop();
    row.queriesPerCheck = cold.queries / cold.checked;
    row.warmQueriesPerCheck = warm.queries / warm.checked;
    row.kvPerCheck = after.kv / cold.checked;
    row.requestsPerCheck = after.all / cold.checked;
    row.tokensPerCheck = after.tokens / cold.checked;

    // 2. Throughput of worker processes.
    for (const n of workerCounts) {
      await allDue();
      const started = await startWorkers(n);
      // Measure from the first check (a worker's first cycle opens its pools and fetches tokens).
      for (let waited = 0; waited < 120; waited++) {
        const { rows: any } = await sql.query(`SELECT 1 FROM bench_check_log LIMIT 1`);
        if (any.length) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      const cpu0 = started.map((c) => cpuTicks(c.pid!));
      const bench0 = process.cpuUsage();
      const t0 = new Date();
      await new Promise((r) => setTimeout(r, windowSeconds * 1000));
      const t1 = new Date();
      const cpu1 = started.map((c) => cpuTicks(c.pid!));
      const bench1 = process.cpuUsage(bench0);
      const { rows: logged } = await sql.query<{ checks: string; twice: string }>(
        `SELECT count(*) AS checks, count(*) - count(DISTINCT id) AS twice FROM bench_check_log WHERE at >= $1 AND at < $2`,
        [t0, t1],
      );
      await stopWorkers(started);
      const { rows: ever } = await sql.query<{ twice: string }>(
        `SELECT count(*) - count(DISTINCT id) AS twice FROM bench_check_log`,
      );
      row.throughput.push({
        workers: n,
        perMinute: (Number(logged[0]!.checks) / windowSeconds) * 60,
        cpu: cpu1.map((c, i) => ((c - cpu0[i]!) / ticks / windowSeconds) * 100),
        benchCpu: ((bench1.user + bench1.system) / 1e6 / windowSeconds) * 100,
        twice: Number(ever[0]!.twice),
      });
    }

    // 3. Plans.
    await sql.query(`VACUUM ANALYZE "MediaAccount"`);
    for (const [name, query] of Object.entries(plans)) {
      const { rows: plan } = await sql.query<{ "QUERY PLAN": string }>(
        `EXPLAIN ${query}`,
        query.includes("$1") ? [subscriptionIds[0]] : [],
      );
      const text = plan.map((p) => p["QUERY PLAN"]).join("\n");
      if (/Seq Scan on "MediaAccount"/.test(text)) row.scans.push(name);
      if (size === sizes.at(-1)) console.log(`  plan of ${name} at ${size}:\n    ${text.replaceAll("\n", "\n    ")}`);
    }

    // 4. Dashboard.
    // The middle page starts after the account half-way down the dashboard's order (what following
    // Next that far leads to); the last pages read backwards from the end.
    const { rows: middle } = await sql.query<DashboardKey>(
      `SELECT "keyStatus", "nameKey", id FROM "MediaAccount" WHERE "subscriptionId" = $1
       ORDER BY "keyStatus" DESC, "nameKey", id OFFSET $2 LIMIT 1`,
      [subscriptionIds[0], Math.floor(size / 2)],
    );
    const last: DashboardCursor = { direction: "before", at: null };
    const views: { state?: KeyStateFilter; cursor?: DashboardCursor }[] = [
      {},
      { cursor: { direction: "after", at: middle[0]! } },
      { cursor: last },
      { state: "CustomerKeyInaccessible" },
      { state: "CustomerKey" },
      { state: "CustomerKey", cursor: last },
      { state: "SystemKey" },
    ];
    const times: number[] = [];
    // The first views.length renders warm the pool and the plans up and are not counted.
    for (let i = -views.length; i < renders; i++) {
      const view = views[(i + views.length) % views.length]!;
      const t = performance.now();
      await Promise.all([
        dashboardPage({ subscriptionIds, ...view, pageSize: 50 }),
        recentTransitions({ subscriptionIds, take: 20 }),
        transitionsSince({ subscriptionIds, since: new Date(Date.now() - 24 * 3_600_000) }),
      ]);
      if (i >= 0) times.push(performance.now() - t);
    }
    row.dashboardP95 = percentile(times, 0.95);
    row.dashboardMax = Math.max(...times);
    rows.push(row);
    console.log(`  ${size}: ${JSON.stringify(row)}`);
  }

  console.log(
    `\nScale on ${env.database.engine}, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )}; ${perVault} accounts per vault, 1 % inaccessible; worker window ${windowSeconds} s; Key Vault latency ${latencyMs} ms; MONITOR_CONCURRENCY ${process.env.MONITOR_CONCURRENCY ?? "default"}`,
  );
  console.log(
    `${"accounts".padStart(8)} ${"seed s".padStart(7)} ${"DB q/check".padStart(10)} ${"warm".padStart(6)} ${"KB/identity".padStart(11)} ${"KV/check".padStart(8)} ${"KV req/check".padStart(12)} ${"MI tok/check".padStart(12)}  ${workerCounts.map((n) => `${n}w checks/min (CPU % per worker; bench+emulator %)`).join("  ")}  twice  dash p95 ms  seq scans`,
  );
  for (const r of rows) {
    console.log(
      `${String(r.size).padStart(8)} ${r.seedSeconds.toFixed(1).padStart(7)} ${r.queriesPerCheck.toFixed(2).padStart(10)} ${r.warmQueriesPerCheck.toFixed(2).padStart(6)} ${(r.heapPerIdentity / 1024).toFixed(1).padStart(11)} ${r.kvPerCheck.toFixed(3).padStart(8)} ${r.requestsPerCheck.toFixed(3).padStart(12)} ${r.tokensPerCheck.toFixed(3).padStart(12)}  ${r.throughput
        .map(
          (t) => `${Math.round(t.perMinute)} (${t.cpu.map((c) => c.toFixed(0)).join("/")}; ${t.benchCpu.toFixed(0)})`,
        )
        .join(
          "  ",
        )}  ${r.throughput.reduce((n, t) => n + t.twice, 0)}  ${r.dashboardP95.toFixed(1)} (max ${r.dashboardMax.toFixed(1)})  ${r.scans.join(", ") || "none"}`,
    );
  }
} finally {
  await stopWorkers(children.filter((c) => c.exitCode === null));
  await sql.end();
  await env.dispose();
}
