/**
 * The scale seed writes accounts the monitor can really check: each identity exists in the emulator,
 * holds a grant on its vault (or, for 1 %, none), and unwraps its account key through Key Vault.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { startMonitor } from "@/lib/monitor/worker";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { SCALE_RESOURCE_GROUP, seedScale } from "@/test/support/scale-seed";

// An hour: on a loaded machine the cycles below may take over a minute, and no account may come due twice.
process.env.MONITOR_INTERVAL_SECONDS = "3600";
let env: AppEnvironment;
before(async () => {
  env = await startAppEnvironment();
});
after(() => env.dispose());

it("seeds accounts, identities and grants that the monitor finds accessible, except every hundredth", async () => {
  const seed = (count: number) =>
    seedScale({
      databaseUrl: env.database.url,
      emulator: { url: env.emu.url, agent: env.emu.agent },
      count,
      accountsPerVault: 100,
    });
  assert.equal((await seed(150)).added, 150);
  // A second run tops up to the count: the first accounts are kept, the rest added.
  assert.deepEqual({ ...(await seed(250)), ms: 0 }, { added: 100, total: 250, ms: 0 });
  const scale = { resourceGroupKey: SCALE_RESOURCE_GROUP };
  assert.equal(await env.database.db.mediaAccount.count({ where: scale }), 250);
  assert.equal(await env.database.db.mediaAccount.count({ where: { ...scale, keyStatus: "Inaccessible" } }), 2);

  const monitor = startMonitor({ loop: false });
  const results = new Map<string, number>();
  // Bounded: 250 accounts in batches of 50 need 5 cycles; 10 allow for nothing else.
  for (let i = 0; i < 10; i++) {
    const outcomes = await monitor.runOnce();
    if (!outcomes.length) break;
    for (const o of outcomes) results.set(o.result, (results.get(o.result) ?? 0) + 1);
  }
  await monitor.stop();
  assert.deepEqual(Object.fromEntries(results), { active: 248, inaccessible: 2 });
  const denied = await env.database.db.mediaAccount.findMany({
    where: { ...scale, keyStatus: "Inaccessible" },
    select: { name: true, keyStatusReason: true },
    orderBy: { name: "asc" },
  });
  assert.deepEqual(denied, [
    { name: "scale000099", keyStatusReason: "KeyVaultAccessDenied" },
    { name: "scale000199", keyStatusReason: "KeyVaultAccessDenied" },
  ]);
});
