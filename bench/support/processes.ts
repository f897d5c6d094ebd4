/**
 * The load generator of a bench: autocannon (npm) in a process of its own, so that no server shares
 * its process with the load it serves (servers: test/support/server-process.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { tsx } from "@/test/support/server-process";

const require = createRequire(import.meta.url);

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** autocannon in its own process: `connections` connections for `seconds` seconds of GETs to `url`. */
export function autocannon(
  url: string,
  headers: Record<string, string>,
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  const bin = require.resolve("autocannon/autocannon.js");
  const args = [bin, "-j", "-n", "-c", String(options.connections), "-d", String(options.seconds)];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}=${v}`);
  args.push(url);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), (options.seconds + 30) * 1000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(out) as {
          requests: { average: number; total: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
          duration: number;
        };
        resolve({
          requests: r.requests.total,
          rps: r.requests.total / r.duration,
          p50: r.latency.p50,
          p99: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
        });
      } catch {
        reject(new Error(`autocannon exited with ${code}: ${out.slice(0, 300)}`));
      }
    });
  });
}

/**
 * `scripts/worker.ts` in a process of its own; `ready` resolves once it logs that it started (its
 * loops run from then on): a cold start takes seconds on a busy machine, and a bench measures from
 * there. The child is returned at once, so that the caller can stop it whatever happens.
 */
export function startWorkerProcess(
  env: Record<string, string>,
  timeoutMs = 120_000,
): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [...tsx, "scripts/worker.ts"], {
    env: { ...process.env, DOTENV_CONFIG_PATH: "/dev/null", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`a worker did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    let out = "";
    const onData = (d: Buffer) => {
      out += d.toString();
      if (!out.includes("worker started")) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      child.stdout!.resume();
      child.off("exit", onExit);
      resolve();
    };
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`a worker exited with code ${code} before it started`));
    };
    child.stdout!.on("data", onData);
    child.once("exit", onExit);
  });
  return { child, ready };
}
