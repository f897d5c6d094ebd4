/**
 * The e2e test API: Playwright's, with a browser that trusts exactly the emulator's certificate
 * key (its SPKI hash), so pages can follow the real sign-in redirects to the emulated Entra ID
 * over HTTPS without turning certificate checks off; and helpers that act as a person would.
 */
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test as base, chromium, expect, type Browser, type Page } from "@playwright/test";
import { chromiumLaunch, e2eStack } from "./stack";

/** The emulator's server key, read once the stack is up (the emulator creates it at start). */
export function emulatorSpki(): string {
  const cert = new X509Certificate(readFileSync(path.join(e2eStack.dataDir, "emulator", "tls", "server.pem")));
  return createHash("sha256").update(cert.publicKey.export({ type: "spki", format: "der" })).digest("base64");
}

export const test = base.extend<object, { browser: Browser }>({
  browser: [
    async ({ playwright: _ }, use) => {
      const browser = await chromium.launch({ ...chromiumLaunch, args: [...chromiumLaunch.args, `--ignore-certificate-errors-spki-list=${emulatorSpki()}`] });
      await use(browser);
      await browser.close();
    },
    { scope: "worker" },
  ],
});

export { expect };

/** Signs in through the portal's button and the emulator's sign-in page, as a person would. */
export async function signIn(page: Page, upn: string, returnTo = "/accounts") {
  await page.goto(`/auth/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  await expect(page.getByRole("heading", { name: "Pick an account" })).toBeVisible();
  await page.getByRole("button", { name: new RegExp(upn.replace(/\./g, "\\.")) }).click();
  await page.waitForURL((url) => url.pathname === returnTo.split("?")[0]);
}
