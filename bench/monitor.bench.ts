/**
 * The key monitor against the emulator, with the app's own code (managed identity, Key Vault over
 * HTTPS, PGlite):
 * 1. reaction: after a key is disabled (and re-enabled) in the vault, how long until the account
 *    shows it, over TRIALS trials, as a ratio to the monitor interval configured in the same run
 *    (the default 60 s scaled down to INTERVAL_SECONDS);
 * 2. throughput: customer-key accounts one worker checks per minute (ACCOUNTS accounts, one key).
 *
 *   npm run bench -- monitor   (TRIALS=20 INTERVAL_SECONDS=0.5 ACCOUNTS=100)
 */
import { demoAutomationApp, demoUsers, demoVaults } from "@/lib/demo/directory";
import { startMonitor } from "@/lib/monitor/worker";
import { principalOf, startAppEnvironment } from "@/test/support/app-environment";

const trials = Number(process.env.TRIALS ?? 20);
const intervalSeconds = Number(process.env.INTERVAL_SECONDS ?? 0.5);
const accountCount = Number(process.env.ACCOUNTS ?? 100);
process.env.MONITOR_INTERVAL_SECONDS = String(intervalSeconds);

const env = await startAppEnvironment();
const owner = principalOf(demoUsers.owner);
const vault = demoVaults.compliant.name;
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

try {
  await env.emu.grantKeys(vault, demoAutomationApp.objectId, ["get", "create", "update"]);
  const keys = env.emu.keyClient(vault);
  const bind = async (name: string, keyName: string) =>
    (await env.createCustomerKeyAccount(owner, name, vault, `${env.emu.vaultUrl(vault)}/keys/${keyName}`)).id;

  // 1. Reaction time, with a worker looping as in production.
  const reactKey = await keys.createRsaKey("bench-react", { keySize: 2048 });
  const reactId = await bind("benchreact", "bench-react");
  const monitor = startMonitor({ loop: true });
  const waitFor = async (status: "Active" | "Inaccessible") => {
    const started = performance.now();
    for (;;) {
      const { keyStatus } = await env.database.db.mediaAccount.findUniqueOrThrow({
        where: { id: reactId },
        select: { keyStatus: true },
      });
      if (keyStatus === status) return (performance.now() - started) / 1000;
      if (performance.now() - started > 30_000 + 20 * intervalSeconds * 1000)
        throw new Error(`the account did not become ${status}: the monitor is slower than its interval here`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const revoke: number[] = [];
  const restore: number[] = [];
  for (let i = 0; i < trials; i++) {
    await keys.updateKeyProperties("bench-react", reactKey.properties.version!, { enabled: false });
    revoke.push(await waitFor("Inaccessible"));
    await keys.updateKeyProperties("bench-react", reactKey.properties.version!, { enabled: true });
    restore.push(await waitFor("Active"));
  }
  await monitor.stop();
  console.log(`Monitor interval ${intervalSeconds} s (the default 60 s, scaled down); ${trials} trials each`);
  for (const [label, xs] of [
    ["revocation seen after", revoke],
    ["restoration seen after", restore],
  ] as const) {
    const median = percentile(xs, 0.5);
    const p95 = percentile(xs, 0.95);
    console.log(
      `${label.padEnd(24)} median ${median.toFixed(3)} s (${(median / intervalSeconds).toFixed(2)} × interval), p95 ${p95.toFixed(3)} s (${(p95 / intervalSeconds).toFixed(2)} × interval), max ${Math.max(...xs).toFixed(3)} s`,
    );
  }

  // 2. Throughput of one worker: every account due at once, cycles until all are checked.
  await keys.createRsaKey("bench-shared", { keySize: 2048 });
  for (let i = 0; i < accountCount; i++) await bind(`benchacct${i}`, "bench-shared");
  await env.database.db.mediaAccount.updateMany({
    where: { encryptionType: "CustomerKey" },
    data: { nextCheckAt: new Date(0) },
  });
  await env.emu.admin("POST", "reset");
  const worker = startMonitor({ loop: false });
  const started = performance.now();
  let checked = 0;
  // Bounded: with a short interval the first accounts are due again before the pass ends (one
  // pass on PGlite takes longer than 0.5 s), so the pass stops once every account was checked once.
  for (
    let outcomes = await worker.runOnce();
    outcomes.length && checked < accountCount;
    outcomes = await worker.runOnce()
  )
    checked += outcomes.length;
  const seconds = (performance.now() - started) / 1000;
  const counters = (
    (await env.emu.admin("GET", "counters")).json as { keyvault: Record<string, Record<string, number>> }
  ).keyvault[vault]!;
  console.log(
    `one worker checked ${checked} accounts in ${seconds.toFixed(2)} s = ${Math.round((checked / seconds) * 60)} accounts/min (Key Vault: get ${counters.get ?? 0}, unwrapKey ${counters.unwrapKey ?? 0})`,
  );
} finally {
  await env.dispose();
}
