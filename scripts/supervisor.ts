/**
 * Keeps the launcher's long-running processes up: a child that exits on its own (a crash, an
 * out-of-memory kill, `kill -9`) is started again after a backoff, and the others keep serving.
 * Only `stop()` (the launcher's Ctrl-C or SIGTERM) ends them all: SIGTERM to each, then SIGKILL
 * to any still running after `stopTimeoutMs`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface ChildSpec {
  /** Shown before each of its lines, e.g. `worker-2`. */
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface SupervisorOptions {
  log: (line: string) => void;
  /** First restart delay; doubles with each quick crash, up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A child that ran this long before it exited is considered healthy again: its backoff starts over. */
  healthyAfterMs?: number;
  stopTimeoutMs?: number;
}

export interface Supervisor {
  /** The pid of each child now running, by name. */
  pids(): Record<string, number | undefined>;
  /** Stops every child; resolves when all have exited. */
  stop(): Promise<void>;
}

/**
 * A child's line as the launcher prints it: a JSON log entry (lib/observability/logger.ts) stays
 * one JSON object, with the process's name added; any other line gets the name in front.
 */
export function tagged(name: string, line: string): string {
  if (line.startsWith("{")) {
    try {
      const entry = JSON.parse(line) as unknown;
      if (entry && typeof entry === "object" && !Array.isArray(entry))
        return JSON.stringify({ process: name, ...entry });
    } catch {
      // not JSON after all: printed as it is below
    }
  }
  return `[${name}] ${line}`;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

export function supervise(specs: ChildSpec[], options: SupervisorOptions): Supervisor {
  const { log, backoffMs = 1000, maxBackoffMs = 30_000, healthyAfterMs = 60_000, stopTimeoutMs = 15_000 } = options;
  let stopping = false;
  const running = new Map<string, ChildProcess>();
  const exited = new Map<string, Promise<void>>();
  const restartTimers = new Set<NodeJS.Timeout>();

  /** `lastDelayMs`: how long this start waited after the previous exit (0 for the first start). */
  function start(spec: ChildSpec, lastDelayMs: number) {
    const startedAt = Date.now();
    const child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.set(spec.name, child);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => log(tagged(spec.name, line)));
    }
    exited.set(
      spec.name,
      new Promise((resolve) => {
        child.once("error", (err) => log(`[start] ${spec.name} could not start: ${err.message}`));
        child.once("close", (code, signal) => {
          running.delete(spec.name);
          resolve();
          if (stopping) return;
          const healthy = Date.now() - startedAt >= healthyAfterMs;
          const wait = healthy || !lastDelayMs ? backoffMs : Math.min(maxBackoffMs, lastDelayMs * 2);
          log(`[start] ${spec.name} ${describeExit(code, signal)}; restarting it in ${wait / 1000} s`);
          const timer = setTimeout(() => {
            restartTimers.delete(timer);
            if (!stopping) start(spec, wait);
          }, wait);
          restartTimers.add(timer);
        });
      }),
    );
    log(`[start] ${spec.name} started (pid ${child.pid})`);
  }

  for (const spec of specs) start(spec, 0);

  return {
    pids: () => Object.fromEntries([...running].map(([name, child]) => [name, child.pid])),
    async stop() {
      stopping = true;
      for (const timer of restartTimers) clearTimeout(timer);
      const children = [...running.values()];
      for (const child of children) child.kill("SIGTERM");
      const killer = setTimeout(() => {
        for (const child of running.values()) {
          log(`[start] ${child.pid} did not stop within ${stopTimeoutMs / 1000} s: killing it`);
          child.kill("SIGKILL");
        }
      }, stopTimeoutMs);
      await Promise.all(exited.values());
      clearTimeout(killer);
    },
  };
}
