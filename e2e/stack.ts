import { readFileSync } from "node:fs";
import path from "node:path";
import { localAzureAgent } from "../lib/azure/local-agent";

/** Where the e2e stack that playwright.config.ts starts lives: one place for its ports and data. */
const port = Number(process.env.E2E_PORT ?? 3100);

export const e2eStack = {
  port,
  baseURL: `http://localhost:${port}`,
  dataDir: ".data/e2e",
  embeddedDbPort: port + 20_000,
  keyDeliveryPort: port + 1_000,
  emulatorPort: port + 5_443,
  emulatorIdentityPort: port + 5_444,
  emulatorUrl: `https://localhost:${port + 5_443}`,
};

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
