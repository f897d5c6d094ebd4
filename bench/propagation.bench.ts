/**
 * One state, every process: from an account's transition committed in one process (this one, as
 * the key monitor commits it) to key delivery refusing its keys in another (the key-delivery
 * listener, scripts/key-delivery.ts, in a process of its own), over TRIALS trials: revoke the
 * account identity's access in the vault, run the monitor's check here (it commits the move to
 * CustomerKeyInaccessible), then time requests to the listener until one is refused; restore, and
 * time until it serves again. Twice: with LISTEN/NOTIFY, and with notifications off in the listener
 * (ACCOUNT_CHANGE_NOTIFICATIONS=false), where the poll of the change table alone carries it.
 * Goal: p95 ≤ 1 s from commit to refusal.
 *
 *   npm run bench -- propagation   (TRIALS=20; TEST_DATABASE=postgresql://… for a server)
 */
import { demoVaults } from "@/lib/demo/directory";
import { checkAccount } from "@/lib/monitor/check";
import { claimAccount } from "@/lib/monitor/store";
import { startAppEnvironment } from "@/test/support/app-environment";
import { deliveryFixture } from "@/test/support/delivery-fixture";
import { keyDeliveryListener, type ServerProcess } from "@/test/support/server-process";

const trials = Number(process.env.TRIALS ?? 20);
/** No trial waits longer than this for the other process to follow. */
const BOUND_MS = 10_000;
const vault = demoVaults.compliant.name;

const env = await startAppEnvironment();
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
let listener: ServerProcess | null = null;

try {
  const fixture = await deliveryFixture(env, "benchpropagation", {
    vault,
    keyIdentifier: `${env.emu.vaultUrl(vault)}/keys/rsa-2048`,
  });
  const principalId = fixture.account.principalId!;
  const check = async (expected: string) => {
    if (!(await claimAccount("bench", fixture.account.id, 60_000))) throw new Error("the account is leased");
    const { result } = await checkAccount(fixture.account.id, "bench");
    if (result !== expected) throw new Error(`check: ${result}, expected ${expected}`);
  };
  /** Milliseconds from now until the listener's answer is (served) or is not (refused) the key, or null past the bound. */
  const until = async (served: boolean): Promise<number | null> => {
    const started = performance.now();
    while (performance.now() - started < BOUND_MS) {
      const res = await fetch(`${listener!.url}${fixture.path}`, { headers: fixture.headers });
      const body = Buffer.from(await res.arrayBuffer());
      if ((res.status === 200 && body.equals(fixture.contentKey)) === served) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 5));
    }
    return null;
  };

  const modes: [string, Record<string, string>][] = [
    ["LISTEN/NOTIFY and poll", {}],
    ["poll only (notifications off)", { ACCOUNT_CHANGE_NOTIFICATIONS: "false" }],
  ];
  console.log(
    `propagation: ${trials} trials per mode, database ${env.database.engine}, bound ${BOUND_MS / 1000} s per trial`,
  );
  for (const [mode, extraEnv] of modes) {
    listener = await keyDeliveryListener(extraEnv);
    const refused: number[] = [];
    const restored: number[] = [];
    let missed = 0;
    if ((await until(true)) === null) throw new Error(`${mode}: the listener does not serve the key`);
    for (let i = 0; i < trials; i++) {
      await until(true); // warm: served from the listener's cache
      await env.emu.revokeKeys(vault, principalId);
      await check("inaccessible"); // committed when this returns
      const r = await until(false);
      if (r === null) missed++;
      else refused.push(r);
      await env.emu.grantKeys(vault, principalId);
      await check("recovered");
      const s = await until(true);
      if (s === null) missed++;
      else restored.push(s);
    }
    await listener.stop();
    listener = null;
    const line = (label: string, xs: number[]) =>
      xs.length
        ? `  ${label.padEnd(30)} p50 ${percentile(xs, 0.5).toFixed(0).padStart(5)} ms  p95 ${percentile(xs, 0.95).toFixed(0).padStart(5)} ms  max ${Math.max(
            ...xs,
          )
            .toFixed(0)
            .padStart(5)} ms`
        : `  ${label.padEnd(30)} no trial completed`;
    console.log(`${mode}:`);
    console.log(line("commit → refused elsewhere", refused));
    console.log(line("commit → served again", restored));
    const p95 = refused.length ? percentile(refused, 0.95) : Infinity;
    console.log(
      `  goal p95 ≤ 1000 ms: ${p95 <= 1000 && missed === 0 ? "met" : "NOT met"}${missed ? ` (${missed} waits passed the bound)` : ""}`,
    );
  }
} finally {
  await listener?.stop();
  await env.dispose();
}
