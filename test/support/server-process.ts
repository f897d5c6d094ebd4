/**
 * Servers in processes of their own, for benches and cross-process tests: started with the
 * project's TypeScript entry points, ready when they print their port.
 */
import { spawn, type ChildProcess } from "node:child_process";

/** Node's arguments for the project's TypeScript entry points. */
export const tsx = ["--conditions=react-server", "--import", "tsx"];

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Asks the process (over its IPC channel) for its counters; null if it has no such channel. */
  stats(): Promise<Record<string, number> | null>;
  stop(): Promise<void>;
}

/**
 * Starts `args` under node and resolves once it prints a line matching `ready` (whose first group
 * is the port), within `timeoutMs`.
 */
export function startServer(
  args: string[],
  ready: RegExp,
  env: Record<string, string | undefined> = {},
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${args.join(" ")}: not ready within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    let seen = "";
    child.stdout!.on("data", (d: Buffer) => {
      seen += d.toString();
      const match = ready.exec(seen);
      if (!match) return;
      clearTimeout(timer);
      seen = "";
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      resolve({
        url: `http://127.0.0.1:${match[1]}`,
        child,
        stats: () =>
          new Promise((res) => {
            if (!child.connected) return res(null);
            const t = setTimeout(() => res(null), 2000);
            child.once("message", (m) => {
              clearTimeout(t);
              res(m as Record<string, number>);
            });
            child.send({ type: "stats" });
          }),
        stop: () =>
          new Promise((res) => {
            if (child.exitCode !== null) return res();
            child.once("exit", () => res());
            child.kill("SIGTERM");
            setTimeout(() => child.kill("SIGKILL"), 5000).unref();
          }),
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(" ")} exited with ${code} before it was ready`));
    });
  });
}

/** Key delivery's own listener (scripts/key-delivery.ts, as `npm start` runs it) on a free port. */
export function keyDeliveryListener(env: Record<string, string> = {}): Promise<ServerProcess> {
  // Its JSON log line: {..., "url":"http://127.0.0.1:<port>", ..., "msg":"key delivery listening"}.
  return startServer([...tsx, "scripts/key-delivery.ts"], /"url":"http:\/\/[^:"]+:(\d+)"[^\n]*key delivery listening/, {
    KEY_DELIVERY_PORT: "0",
    ...env,
  });
}
