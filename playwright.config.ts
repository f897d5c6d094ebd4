import { defineConfig, devices } from "@playwright/test";
import { chromiumLaunch, e2eStack } from "./e2e/stack";

// The e2e stack runs on its own ports and data folder, so it never touches a developer's
// `npm start` data; `--reset-data` starts it from nothing each run.
const { baseURL } = e2eStack;

export default defineConfig({
  testDir: "e2e",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: chromiumLaunch,
      },
    },
    {
      // The REST API's specs again, called at the portal's own URL with tokens for the API's App ID
      // URI (as in Azure) instead of through the emulator's ARM front door: the code that runs in
      // Azure (on-behalf-of, the daemon's fallback) runs here. Same stack; e2e/tokens.ts apiMode().
      name: "api-direct",
      testMatch: /(arm-mediaservices|api-auth)\.spec\.ts$/,
      metadata: { apiMode: "direct" },
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: chromiumLaunch,
      },
    },
  ],
  webServer: {
    command: "npm run serve -- --reset-data",
    url: `${baseURL}/api/health`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe",
    env: {
      APP_PROFILE: "local",
      PORT: String(e2eStack.port),
      DATA_DIR: e2eStack.dataDir,
      EMBEDDED_DB_PORT: String(e2eStack.embeddedDbPort),
      KEY_DELIVERY_PORT: String(e2eStack.keyDeliveryPort),
      EMULATOR_PORT: String(e2eStack.emulatorPort),
      EMULATOR_IDENTITY_PORT: String(e2eStack.emulatorIdentityPort),
      // Key checks every second, so tests see the monitor react quickly.
      MONITOR_INTERVAL_SECONDS: "1",
      JOB_POLL_INTERVAL_SECONDS: "0.5",
    },
  },
});
