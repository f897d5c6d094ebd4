/**
 * Key Vault's budget shared by several workers: WORKERS worker processes (`scripts/worker.ts`, as
 * `npm start --workers N` runs them) check ACCOUNTS customer-key accounts bound to ONE vault, every
 * second, with KEYVAULT_OPERATIONS_PER_10S=BUDGET, far below what they would send unthrottled.
 * Read from the emulator's own request log:
 *   1. the most requests that vault received in any sliding 10 s window, against BUDGET;
 *   2. after one 429 with Retry-After RETRY_AFTER s, the requests any worker sent that vault
 *      before the Retry-After ended (the slices already granted may spend SLICE_VALIDITY_MS).
 *
 *   npm run bench -- budget   (WORKERS=3 BUDGET=40 ACCOUNTS=30 SECONDS=30 RETRY_AFTER=10)
 */
import { spawn } from "node:child_process";
import { demoVaults } from "@/lib/demo/directory";
import { accountsWithOwnKeys, startAppEnvironment } from "@/test/support/app-environment";

const workers = Number(process.env.WORKERS ?? 3);
const budget = Number(process.env.BUDGET ?? 40);
const accountCount = Number(process.env.ACCOUNTS ?? 30);
const seconds = Number(process.env.SECONDS ?? 30);
const retryAfter = Number(process.env.RETRY_AFTER ?? 10);

const env = await startAppEnvironment();
const vault = demoVaults.compliant.name;
const children: ReturnType<typeof spawn>[] = [];

interface Request {
  at: number;
  operation: string;
  faultStatus?: number;
}
const requests = async (): Promise<Request[]> =>
  ((await env.emu.admin("GET", `requests?target=keyvault&vault=${vault}`)).json as { value: Request[] }).value;

/** The most requests in any window of `ms` (a sliding window over the arrival times). */
function busiestWindow(times: number[], ms: number): number {
  let most = 0;
  for (let start = 0, end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= ms) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

try {
  await accountsWithOwnKeys(env, "benchbudget", accountCount);
  // The setup's own requests (under this process's default budget) age out of the window first.
  await new Promise((r) => setTimeout(r, 11_000));
  await env.emu.admin("POST", "reset");
  await env.database.db.mediaAccount.updateMany({
    where: { encryptionType: "CustomerKey" },
    data: { nextCheckAt: new Date() },
  });

  for (let i = 0; i < workers; i++) {
    const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"], {
      env: {
        ...process.env,
        DOTENV_CONFIG_PATH: "/dev/null",
        KEYVAULT_OPERATIONS_PER_10S: String(budget),
        MONITOR_INTERVAL_SECONDS: "1",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
  }
  // Measure from the moment every worker runs (a cold start takes seconds on a busy machine).
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          let out = "";
          child.stdout!.on("data", (d: Buffer) => {
            out += d;
            if (out.includes("worker started")) resolve();
          });
          child.once("exit", (code) => reject(new Error(`a worker exited with code ${code} before it started`)));
        }),
    ),
  );
  await env.emu.admin("POST", "reset");
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const steady = (await requests()).map((r) => r.at);
  const most = busiestWindow(steady, 10_000);
  console.log(
    `${workers} workers, ${accountCount} accounts on one vault, budget ${budget} per 10 s, ${seconds} s: ` +
      `${steady.length} requests; busiest 10 s window ${most} (${(most / budget).toFixed(2)} × budget)`,
  );

  // One 429 with Retry-After: every worker holds that vault's requests.
  await env.emu.admin("POST", "faults", {
    target: "keyvault",
    vault,
    kind: "status",
    status: 429,
    retryAfterSeconds: retryAfter,
    count: 1,
  });
  await new Promise((r) => setTimeout(r, (retryAfter + 5) * 1000));
  const all = await requests();
  const throttled = all.find((r) => r.faultStatus === 429);
  if (!throttled) throw new Error("no request met the injected 429: the workers sent nothing");
  const during = all.filter((r) => r.at > throttled.at && r.at < throttled.at + retryAfter * 1000);
  const late = during.filter((r) => r.at > throttled.at + 250);
  const resumed = all.find((r) => r.at >= throttled.at + retryAfter * 1000);
  console.log(
    `after a 429 with Retry-After ${retryAfter} s: ${during.length} requests before it ended ` +
      `(${during.length - late.length} within the 250 ms validity of slices already granted, ${late.length} after); ` +
      `traffic resumed ${resumed ? `${((resumed.at - throttled.at) / 1000).toFixed(2)} s` : "never"} after the 429`,
  );
} finally {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r)))));
  await env.dispose();
}
