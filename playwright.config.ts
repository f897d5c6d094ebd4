import { defineConfig, devices } from "@playwright/test";
import { chromiumLaunch, e2eStack, e2eWebServer } from "./e2e/stack";

// The e2e stack runs on its own ports and data folder, so it never touches a developer's
// `npm start` data; `--reset-data` starts it from nothing each run.
const { baseURL } = e2eStack;

export default defineConfig({
  testDir: "e2e",
  // Needs the monitor's 60 s interval: its own stack, playwright.detection.config.ts.
  testIgnore: "detection/**",
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
  webServer: e2eWebServer({ MONITOR_INTERVAL_SECONDS: "1" }),
});
