import { defineConfig, devices } from "@playwright/test";
import { chromiumLaunch, e2eStack, e2eWebServer } from "./e2e/stack";

// Detection with Key Vault events at the monitor's default 60 s interval: a stack of its own
// (the main one checks every second), run as
//   E2E_STACK=detection npx playwright test -c playwright.detection.config.ts
if (process.env.E2E_STACK !== "detection")
  throw new Error("Run with E2E_STACK=detection: the specs' fixtures read the stack from it.");

export default defineConfig({
  testDir: "e2e/detection",
  retries: 0,
  workers: 1,
  reporter: process.env.CI ? [["list"], ["html", { open: "never" }]] : [["list"]],
  use: { baseURL: e2eStack.baseURL, trace: "retain-on-failure", screenshot: "only-on-failure" },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], launchOptions: chromiumLaunch } }],
  webServer: e2eWebServer({ MONITOR_INTERVAL_SECONDS: "60" }),
});
