import { expect, test } from "@playwright/test";

test("the home page loads and the main navigation reaches every section", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Media accounts with customer-managed keys");

  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Accounts" }).click();
  await expect(page).toHaveURL(/\/accounts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Accounts" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Accounts" })).toHaveAttribute("aria-current", "page");
  await expect(page).toHaveTitle("Accounts · Media accounts");

  await nav.getByRole("link", { name: "Dashboard" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Key status dashboard" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Accounts" })).not.toHaveAttribute("aria-current", "page");

  await page.getByRole("link", { name: "Media accounts", exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
});

test("reading pages work without JavaScript", async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto("/accounts");
  await expect(page.getByRole("heading", { level: 1, name: "Accounts" })).toBeVisible();
  await page.getByRole("link", { name: "Dashboard" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
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
