/**
 * Detection with Key Vault events, against the emulator's Event Grid and the app's own webhook
 * (its route handler behind node:http), with MONITOR_INTERVAL_SECONDS=60 and a monitor worker
 * looping as in production:
 * 1. events on: a new key version adopted, an access policy removed (inaccessible) and restored
 *    (active), TRIALS trials each: p50/p95 of the time from the change in the vault to the
 *    account's new state in the database; goal p95 <= 5 s;
 * 2. the same without events (the subscription deleted): the poll alone, POLL_TRIALS trials of
 *    the access policy removed and restored (each up to a whole interval), as the baseline; goal
 *    within the interval plus one check's own time (<= interval + 5 s).
 * Every wait is bounded (WAIT_LIMIT_SECONDS with events, twice the interval without) and a trial
 * that hits its bound is counted as such and printed.
 *
 *   npm run bench -- detection   (TRIALS=20 POLL_TRIALS=2)
 */
import { demoAutomationApp, demoUsers, demoVaults } from "@/lib/demo/directory";
import { allowEventGridOrigin, receiveKeyVaultEvents } from "@/lib/events/keyvault-webhook";
import { startMonitor } from "@/lib/monitor/worker";
import { principalOf, startAppEnvironment } from "@/test/support/app-environment";
import { serveRoutes } from "@/test/support/route-server";
import { eventGridApiVersion, subscribeToVaultEvents } from "@/test/support/vault-events";

const trials = Number(process.env.TRIALS ?? 20);
const pollTrials = Number(process.env.POLL_TRIALS ?? 2);
const intervalSeconds = 60;
const waitLimitSeconds = Number(process.env.WAIT_LIMIT_SECONDS ?? 30);
/**
 * The poll alone sees a change within the interval plus the time of one check: a change made just
 * after the account's check waits a whole interval, then that check's own round trips to Key Vault.
 */
const checkAllowanceSeconds = 5;
process.env.MONITOR_INTERVAL_SECONDS = String(intervalSeconds);

const env = await startAppEnvironment();
const webhook = await serveRoutes({ POST: receiveKeyVaultEvents, OPTIONS: allowEventGridOrigin });
const owner = principalOf(demoUsers.owner);
const vault = demoVaults.compliant.name;
const percentile = (xs: number[], p: number) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : NaN;
const monitor = startMonitor({ loop: true });

type Sample = { seconds: number[]; timedOut: number };
const sample = (): Sample => ({ seconds: [], timedOut: 0 });

try {
  await env.emu.grantKeys(vault, demoAutomationApp.objectId, ["get", "create", "rotate"]);
  const keys = env.emu.keyClient(vault);
  await keys.createRsaKey("bench-detect", { keySize: 2048 });
  const account = await env.createCustomerKeyAccount(
    owner,
    "benchdetect",
    vault,
    `${env.emu.vaultUrl(vault)}/keys/bench-detect`,
  );
  const read = () =>
    env.database.db.mediaAccount.findUniqueOrThrow({ where: { id: account.id }, include: { accountKey: true } });

  /**
   * Seconds from the change being done in the vault (its call answered) to `reached` holding for
   * the account; a wait past the bound is counted as such.
   */
  async function measure(
    into: Sample,
    change: () => Promise<unknown>,
    reached: (a: Awaited<ReturnType<typeof read>>) => boolean,
    limitSeconds: number,
  ) {
    // A keep-alive socket the emulator closes as it is reused (ECONNRESET) is tried again, twice at most.
    for (let attempt = 1; ; attempt++) {
      try {
        await change();
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== "ECONNRESET" || attempt === 3) throw err;
      }
    }
    const started = performance.now();
    for (;;) {
      const elapsed = (performance.now() - started) / 1000;
      if (reached(await read())) return void into.seconds.push(elapsed);
      if (elapsed > limitSeconds) return void into.timedOut++;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  const revoke = () => env.emu.revokeKeys(vault, account.principalId!);
  const restore = () => env.emu.grantKeys(vault, account.principalId!);
  const inaccessible = (a: Awaited<ReturnType<typeof read>>) => a.keyStatus === "Inaccessible";
  const active = (a: Awaited<ReturnType<typeof read>>) => a.keyStatus === "Active";

  // 1. With events.
  const { subscriptionPath } = await subscribeToVaultEvents(env.emu, {
    vault,
    endpointUrl: `${webhook.url}/api/events/keyvault`,
  });
  const withEvents = { adopted: sample(), removed: sample(), restored: sample() };
  for (let i = 0; i < trials; i++) {
    let newVersion = "";
    await measure(
      withEvents.adopted,
      async () => (newVersion = (await keys.rotateKey("bench-detect")).id!),
      (a) => a.accountKey?.wrappedBy === newVersion,
      waitLimitSeconds,
    );
    await measure(withEvents.removed, revoke, inaccessible, waitLimitSeconds);
    await measure(withEvents.restored, restore, active, waitLimitSeconds);
  }

  // 2. Without events: the poll alone.
  await env.emu.armFetch("DELETE", subscriptionPath, undefined, eventGridApiVersion);
  const pollOnly = { removed: sample(), restored: sample() };
  for (let i = 0; i < pollTrials; i++) {
    await measure(pollOnly.removed, revoke, inaccessible, 2 * intervalSeconds);
    await measure(pollOnly.restored, restore, active, 2 * intervalSeconds);
  }

  const row = (label: string, s: Sample) =>
    `  ${label.padEnd(44)} p50 ${percentile(s.seconds, 0.5).toFixed(2).padStart(6)} s   p95 ${percentile(s.seconds, 0.95).toFixed(2).padStart(6)} s   (${s.seconds.length} trials${s.timedOut ? `, ${s.timedOut} past the ${"bound"}` : ""})`;
  console.log(
    `Monitor interval ${intervalSeconds} s, a worker looping; database ${env.database.engine}. Time from the change in the vault to the account's state:`,
  );
  console.log(`With Key Vault events (${trials} trials each):`);
  console.log(row("new key version adopted", withEvents.adopted));
  console.log(row("access policy removed -> inaccessible", withEvents.removed));
  console.log(row("access policy restored -> active", withEvents.restored));
  console.log(`Without events, the poll alone (${pollTrials} trials each, baseline):`);
  console.log(row("access policy removed -> inaccessible", pollOnly.removed));
  console.log(row("access policy restored -> active", pollOnly.restored));
  const goalMet = Object.values(withEvents).every((s) => !s.timedOut && percentile(s.seconds, 0.95) <= 5);
  const pollBound = intervalSeconds + checkAllowanceSeconds;
  const withinInterval = Object.values(pollOnly).every((s) => !s.timedOut && Math.max(...s.seconds) <= pollBound);
  const ratio = percentile(pollOnly.removed.seconds, 0.5) / percentile(withEvents.removed.seconds, 0.5);
  console.log(
    `Goal p95 <= 5 s with events: ${goalMet ? "met" : "NOT met"}; without events within the interval plus one check (<= ${pollBound} s): ${withinInterval ? "met" : "NOT met"}; a removed access policy is seen ${ratio.toFixed(0)}x sooner with events (p50).`,
  );
} finally {
  await monitor.stop();
  await webhook.close();
  await env.dispose();
}
