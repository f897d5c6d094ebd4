/**
 * The processes `npm start` supervises, as real processes: a worker killed with SIGKILL in the
 * middle of a cycle is restarted, the other worker takes the dead one's accounts when their lease
 * ends, no account is checked twice within an interval, and the portal answers throughout. Needs
 * the production build (`npm run build`), which `npm test` makes first.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoVaults } from "@/lib/demo/directory";
import { freePort } from "@/test/support/ports";
import { accountsWithOwnKeys, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { supervise, type Supervisor } from "./supervisor";

const INTERVAL_S = 4;
/** The monitor's lease: max(30 s, 2 × interval) (lib/monitor/worker.ts). */
const LEASE_MS = 30_000;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("supervised processes", { skip: process.env.TEST_DATABASE ? false : "runs on PostgreSQL only" }, () => {
  let env: AppEnvironment;
  let supervisor: Supervisor | undefined;
  const lines: string[] = [];
  // The portal's health probe runs until the test ends, pass or fail (a loop left running would keep
  // this file's process alive after a failure).
  let probing = false;
  before(async () => {
    process.env.MONITOR_INTERVAL_SECONDS = String(INTERVAL_S);
    env = await startAppEnvironment();
  });
  after(async () => {
    probing = false;
    await supervisor?.stop();
    await env?.dispose();
  });

  it("restart a worker killed mid-cycle; its accounts move to the other once their lease ends, checked once per interval; the portal never stops", async () => {
    const ids = await accountsWithOwnKeys(env, "superv", 6);
    const vault = demoVaults.compliant.name;
    // Slow Key Vault reads, so that a cycle (claim, then one check after another) is long enough to die in.
    await env.emu.admin("POST", "faults", {
      target: "keyvault",
      vault,
      operation: "get",
      kind: "latency",
      latencyMs: 1500,
    });

    const port = await freePort();
    const node = [process.execPath, "--conditions=react-server", "--import", "tsx"];
    const childEnv = { DOTENV_CONFIG_PATH: "/dev/null", NODE_ENV: "production" };
    supervisor = supervise(
      [
        {
          name: "portal",
          command: process.execPath,
          args: ["--import", "tsx", "scripts/portal.ts", "--port", String(port)],
          env: childEnv,
        },
        { name: "worker", command: node[0]!, args: [...node.slice(1), "scripts/worker.ts"], env: childEnv },
        { name: "worker-2", command: node[0]!, args: [...node.slice(1), "scripts/worker.ts"], env: childEnv },
      ],
      { log: (line) => lines.push(line), backoffMs: 500 },
    );
    const health = `http://127.0.0.1:${port}/api/health`;
    await until(
      "the portal",
      () =>
        fetch(health).then(
          (r) => (r.ok ? true : undefined),
          () => undefined,
        ),
      120_000,
    );
    const refused: string[] = [];
    probing = true;
    const prober = (async () => {
      while (probing) {
        const status = await fetch(health).then(
          (r) => String(r.status),
          (e: Error) => e.message,
        );
        if (status !== "200") refused.push(status);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    // Kill a worker while it holds accounts it has not checked yet: whichever claims a batch first
    // (one batch holds all six, so the other may hold none for a while).
    const workers = ["worker", "worker-2"] as const;
    const {
      name: victimName,
      pid: victim,
      held,
    } = await until(
      "a worker to hold a batch",
      async () => {
        for (const name of workers) {
          const pid = supervisor!.pids()[name];
          if (pid === undefined) continue;
          const rows = await env.database.db.mediaAccount.findMany({
            where: { id: { in: ids }, leaseOwner: { contains: `:${pid}:` } },
            select: { id: true },
          });
          if (rows.length >= 2) return { name, pid, held: rows.map((r) => r.id) };
        }
        return undefined;
      },
      90_000,
    );
    const killedAt = new Date();
    process.kill(victim, "SIGKILL");

    await until("the restart", () => (supervisor!.pids()[victimName] !== victim ? true : undefined), 30_000);
    assert.ok(
      lines.some((l) => l === `[start] ${victimName} was killed by SIGKILL; restarting it in 0.5 s`),
      lines.join("\n"),
    );
    // Its unchecked accounts come back when the lease ends, and are checked then.
    await until(
      "the dead worker's accounts to be checked again",
      async () => {
        const rows = await env.database.db.mediaAccount.findMany({
          where: { id: { in: held }, lastCheckAt: { gt: killedAt } },
          select: { id: true },
        });
        return rows.length === held.length ? true : undefined;
      },
      LEASE_MS + 30_000,
    );
    probing = false;
    await prober;
    assert.deepEqual(refused, [], "the portal answered every health probe");

    // No key was read twice within an interval (less the slack of a claim's clock).
    const { value } = (await env.emu.admin("GET", `requests?target=keyvault&vault=${vault}`)).json as {
      value: { at: number; key?: string; operation: string }[];
    };
    const reads = new Map<string, number[]>();
    for (const r of value)
      if (r.operation === "get" && r.key?.startsWith("superv-")) reads.set(r.key, [...(reads.get(r.key) ?? []), r.at]);
    assert.equal(reads.size, ids.length, "every account was checked");
    for (const [key, times] of reads) {
      for (let i = 1; i < times.length; i++) {
        assert.ok(
          times[i]! - times[i - 1]! >= INTERVAL_S * 1000 - 500,
          `${key} was read ${times[i]! - times[i - 1]!} ms after its previous check`,
        );
      }
    }
  });
});
