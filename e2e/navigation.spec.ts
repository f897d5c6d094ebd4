import { expect, test } from "@playwright/test";
import { AccountsPage } from "./pages/account-page";
import { DashboardPage } from "./pages/dashboard-page";
import { PortalPage } from "./pages/portal-page";

test("the home page loads and the main navigation reaches every section", async ({ page }) => {
  const home = new PortalPage(page, "/");
  await home.goto();
  await expect(home.heading()).toHaveText("Media accounts with customer-managed keys");

  const accounts = new AccountsPage(page);
  await home.navLink("Accounts").click();
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(accounts.heading("Accounts")).toBeVisible();
  await expect(accounts.navLink("Accounts")).toHaveAttribute("aria-current", "page");
  await expect(page).toHaveTitle("Accounts · Media accounts");

  const dashboard = new DashboardPage(page);
  await accounts.navLink("Dashboard").click();
  await expect(dashboard.heading("Key status dashboard")).toBeVisible();
  await expect(dashboard.navLink("Accounts")).not.toHaveAttribute("aria-current", "page");

  await page.getByRole("link", { name: "Media accounts", exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
});

test("reading pages work without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const accounts = new AccountsPage(await context.newPage());
  await accounts.goto();
  await expect(accounts.heading("Accounts")).toBeVisible();
  await accounts.page.getByRole("link", { name: "Dashboard" }).click();
  await expect(accounts.page).toHaveURL(/\/dashboard$/);
  await context.close();
});

test("the health endpoint reports the database", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(res.headers()["cache-control"]).toBe("no-store");
  const body = await res.json();
  expect(body.status).toBe("ok");
  expect(body.checks.database.ok).toBe(true);
  expect(body.checks.emulator.ok).toBe(true);
});
