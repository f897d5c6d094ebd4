import { demoUsers } from "../lib/demo/directory";
import { query } from "./db";
import { expect, signIn, test } from "./fixtures";

test("the owner signs in, sees the owner's accounts, creates one, and signs out", async ({ page }) => {
  await signIn(page, demoUsers.owner.upn);
  await expect(page.getByTestId("signed-in-user")).toHaveText(demoUsers.owner.name);
  const table = page.getByTestId("accounts-table");
  await expect(table.getByRole("link", { name: "contosomedia" })).toBeVisible();
  await expect(table.getByRole("link", { name: "fabrikammedia" })).toHaveCount(0);

  const name = `e2e${test.info().workerIndex}${Date.now().toString(36)}`.slice(0, 24);
  const form = page.getByTestId("create-account-form");
  await form.getByLabel("Account name").fill(name);
  await form.getByLabel("Region").selectOption("westus2");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByText(`Account ${name} created in westus2.`)).toBeVisible();
  await expect(table.getByRole("link", { name })).toBeVisible();

  await form.getByLabel("Account name").fill(name);
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.locator("#name-error")).toContainText("already exists");

  // The session's MSAL token cache is kept server-side, sealed: no token or name in clear.
  const caches = await query<{ sealed: Buffer }>(`SELECT sealed FROM "SessionTokenCache" ORDER BY "updatedAt" DESC LIMIT 1`);
  expect(caches[0]!.sealed[0], "envelope format version").toBe(1);
  for (const clear of ["refresh_token", "secret", demoUsers.owner.upn, "eyJ"]) expect(caches[0]!.sealed.includes(clear), clear).toBe(false);
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === "session")).toMatchObject({ httpOnly: true, sameSite: "Lax" });

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.pathname === "/");
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await page.goto("/accounts");
  await expect(page.getByTestId("accounts-empty")).toBeVisible();

  const events = await query<{ action: string }>(`SELECT action FROM "AuditEvent" WHERE actor = $1 AND action LIKE 'auth.%' ORDER BY id`, [demoUsers.owner.objectId]);
  expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["auth.signIn", "auth.signOut"]));
});
