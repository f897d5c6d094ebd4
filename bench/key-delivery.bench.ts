/**
 * Key delivery throughput, each server in a process of its own and the load from a third
 * (autocannon, CONNECTIONS connections for SECONDS seconds per target), against a baseline
 * measured in the same run:
 * - baseline: a bare node:http server doing the same work per request with everything already in
 *   memory (verify the HS256 JWT, open the sealed content key with AES-256-GCM);
 * - listener: key delivery's own listener (scripts/key-delivery.ts, what `npm start` runs);
 * - next start: the same lib/media/key-delivery.ts behind the portal's route, when a build exists.
 * Prints requests/s, p50/p99 latency, the ratios to the baseline, and per target the Key Vault
 * calls the emulator counted during the measured load and the database queries per request the
 * listener counted (expected 0 and 0: a warm request is served from memory; `next start` has no
 * channel to count its queries: "n/a (route)"), then whether the listener meets the goals:
 * >= 0.5x the baseline's requests/s (aim 0.8x), p99 <= 2x the baseline's, 0 KV calls and 0 DB
 * queries per warm request.
 *
 *   npm run bench -- key-delivery   (CONNECTIONS=16 SECONDS=10; TEST_DATABASE=postgresql://… for a server)
 */
import { existsSync } from "node:fs";
import { startAppEnvironment } from "@/test/support/app-environment";
import { deliveryFixture } from "@/test/support/delivery-fixture";
import { keyDeliveryListener, startServer, tsx, type ServerProcess } from "@/test/support/server-process";
import { autocannon, type LoadResult } from "./support/processes";

const connections = Number(process.env.CONNECTIONS ?? 16);
const seconds = Number(process.env.SECONDS ?? 10);

const env = await startAppEnvironment();
let running: ServerProcess | null = null;

try {
  const { contentKey, headers, material, path } = await deliveryFixture(env, "benchdelivery");
  /**
   * `uncounted`: what to print for the database queries of a target that has no stats channel
   * (the listener answers the stats message; the baseline has no database, `next start` no channel).
   */
  const targets: { name: string; uncounted?: string; start(): Promise<ServerProcess> }[] = [
    {
      name: "baseline (bare node:http)",
      uncounted: "n/a (no database)",
      start: () =>
        startServer([...tsx, "bench/support/baseline-key-server.ts"], /listening (\d+)/, {
          BASELINE_MATERIAL: JSON.stringify(material),
        }),
    },
    {
      name: "key-delivery listener",
      start: () => keyDeliveryListener(),
    },
  ];
  if (existsSync(".next/BUILD_ID")) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    targets.push({
      name: "next start (route)",
      uncounted: "n/a (route)",
      start: () =>
        startServer(
          ["node_modules/next/dist/bin/next", "start", "-p", String(port), "-H", "127.0.0.1"],
          new RegExp(`(${port})[\\s\\S]*Ready`),
          { PORT: String(port) },
        ),
    });
  }

  const results: { name: string; load: LoadResult; kv: number; queries: number | string | null }[] = [];
  for (const target of targets) {
    running = await target.start();
    const check = await fetch(`${running.url}${path}`, { headers });
    const body = Buffer.from(await check.arrayBuffer());
    if (check.status !== 200 || !body.equals(contentKey))
      throw new Error(`${target.name}: HTTP ${check.status} ${body.toString().slice(0, 200)}`);
    await autocannon(`${running.url}${path}`, headers, { connections, seconds: 2 }); // warm-up
    await env.emu.admin("POST", "reset");
    const before = target.uncounted ? null : await running.stats();
    const load = await autocannon(`${running.url}${path}`, headers, { connections, seconds });
    const after = target.uncounted ? null : await running.stats();
    const kv = await env.emu.keyVaultCalls();
    const queries = target.uncounted
      ? target.uncounted
      : before?.dbQueries !== undefined && after?.dbQueries !== undefined
        ? (after.dbQueries - before.dbQueries) / Math.max(1, load.requests)
        : null;
    results.push({ name: target.name, load, kv, queries });
    await running.stop();
    running = null;
  }

  const base = results[0]!.load;
  console.log(
    `key-delivery: ${connections} connections, ${seconds} s per target (autocannon in its own process), database ${env.database.engine}`,
  );
  console.log(
    `  ${"target".padEnd(28)} ${"req/s".padStart(7)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}  ratio  p99/base  non-2xx  KV calls  DB queries/req`,
  );
  for (const { name, load, kv, queries } of results)
    console.log(
      `  ${name.padEnd(28)} ${Math.round(load.rps).toString().padStart(7)} ${String(load.p50).padStart(7)} ${String(load.p99).padStart(7)}  ${(load.rps / base.rps).toFixed(3)}  ${(load.p99 / Math.max(1, base.p99)).toFixed(2).padStart(8)}  ${String(load.non2xx + load.errors).padStart(7)}  ${String(kv).padStart(8)}  ${typeof queries === "number" ? queries.toFixed(3) : (queries ?? "not counted")}`,
    );

  // The goals, for the listener that players are sent to.
  const listener = results.find((r) => r.name === "key-delivery listener")!;
  const ratio = listener.load.rps / base.rps;
  const p99Ratio = listener.load.p99 / Math.max(1, base.p99);
  const warmFree = listener.kv === 0 && listener.queries === 0;
  console.log(
    `Goal listener >= 0.5x baseline req/s: ${ratio >= 0.5 ? "met" : "NOT met"} (${ratio.toFixed(3)}x; aim 0.8x: ${ratio >= 0.8 ? "reached" : "not reached"})`,
  );
  console.log(
    `Goal listener p99 <= 2x baseline p99: ${p99Ratio <= 2 ? "met" : "NOT met"} (${listener.load.p99} ms vs ${base.p99} ms)`,
  );
  console.log(
    `Goal 0 KV calls and 0 DB queries per warm request: ${warmFree ? "met" : "NOT met"} (${listener.kv} KV calls, ${typeof listener.queries === "number" ? listener.queries.toFixed(3) : "not counted"} DB queries/req)`,
  );
  if (!existsSync(".next/BUILD_ID")) console.log("  (no .next build: run `npm run build` to include next start)");
} finally {
  await running?.stop();
  await env.dispose();
}
