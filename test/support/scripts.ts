import { spawn, type ChildProcess } from "node:child_process";

/** A project script running as its own process, as `npm start` or `npm run worker` would run it. */
export interface ScriptRun {
  child: ChildProcess;
  /** Everything it has printed so far, stdout and stderr together. */
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `script` (e.g. scripts/launch.ts) in production mode with only `env`: a developer's .env must not leak in. */
export function spawnScript(script: string, env: Record<string, string>): ScriptRun {
  const child = spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", script], {
    env: {
      NODE_ENV: "production",
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOTENV_CONFIG_PATH: "/dev/null",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}
