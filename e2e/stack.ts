import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { localAzureAgent } from "../lib/azure/local-agent";

/**
 * Where the e2e stack that playwright.config.ts starts lives: one place for its ports and data.
 * E2E_STACK=detection is the stack of playwright.detection.config.ts (the monitor's default 60 s
 * interval), five ports up and in its own data folder, so both can run side by side.
 */
const detection = process.env.E2E_STACK === "detection";
const port = Number(process.env.E2E_PORT ?? 3100) + (detection ? 5 : 0);

export const e2eStack = {
  port,
  baseURL: `http://localhost:${port}`,
  dataDir: detection ? ".data/e2e-detection" : ".data/e2e",
  embeddedDbPort: port + 20_000,
  keyDeliveryPort: port + 1_000,
  emulatorPort: port + 5_443,
  emulatorIdentityPort: port + 5_444,
  emulatorUrl: `https://localhost:${port + 5_443}`,
  /** The operator's scrape token (METRICS_TOKEN) of the stack: a fresh one each run. */
  metricsToken: process.env.E2E_METRICS_TOKEN ?? randomBytes(24).toString("base64url"),
};
// Playwright loads this file in its runner and in each worker: they must agree on the token.
process.env.E2E_METRICS_TOKEN = e2eStack.metricsToken;

/** Debian's Chromium (Playwright cannot download its own browser here), with the flags this network needs. */
export const chromiumLaunch = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
};

/** Node-side calls to the e2e emulator trust its CA, as the app does (read once it exists). */
export function emulatorAgent() {
  return localAzureAgent(readFileSync(path.join(e2eStack.dataDir, "emulator", "tls", "ca.pem"), "utf8"));
}

/** The emulator's persisted state (its token signing key, the managed identity header), read once the stack is up. */
export function emulatorState<T>(): T {
  return JSON.parse(readFileSync(path.join(e2eStack.dataDir, "emulator", "state.json"), "utf8")) as T;
}

/** Playwright's webServer for the e2e stack: `npm start`'s launcher from empty data, with `env` on top. */
export function e2eWebServer(env: Record<string, string>) {
  return {
    command: "npm run serve -- --reset-data",
    url: `${e2eStack.baseURL}/api/health`,
    timeout: 300_000,
    reuseExistingServer: false,
    stdout: "pipe" as const,
    env: {
      APP_PROFILE: "local",
      PORT: String(e2eStack.port),
      DATA_DIR: e2eStack.dataDir,
      EMBEDDED_DB_PORT: String(e2eStack.embeddedDbPort),
      KEY_DELIVERY_PORT: String(e2eStack.keyDeliveryPort),
      EMULATOR_PORT: String(e2eStack.emulatorPort),
      EMULATOR_IDENTITY_PORT: String(e2eStack.emulatorIdentityPort),
      JOB_POLL_INTERVAL_SECONDS: "0.5",
      METRICS_TOKEN: e2eStack.metricsToken,
      // Key checks every second by default, so tests see the monitor react quickly.
      ...env,
    },
  };
}
