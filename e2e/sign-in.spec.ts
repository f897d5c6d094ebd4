import { demoUsers } from "../lib/demo/directory";
import { query } from "./db";
import { expect, test } from "./fixtures";
import { AccountsPage } from "./pages/account-page";

test("the owner signs in, sees the owner's accounts, creates one, and signs out", async ({ page, uniqueName }) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.owner.upn);
  await expect(accounts.signedInUser).toHaveText(demoUsers.owner.name);
  await expect(accounts.accountLink("contosomedia")).toBeVisible();
  await expect(accounts.accountLink("fabrikammedia")).toHaveCount(0);

  const name = uniqueName("e2e");
  await accounts.createAccount(name, { region: "westus2", identity: "SystemAssigned" });
  await expect(accounts.heading(name), "a created account opens").toBeVisible({ timeout: 30_000 });
  await accounts.goto();
  await expect(accounts.accountLink(name)).toBeVisible();

  await accounts.createAccount(name);
  await expect(accounts.nameError).toContainText("already exists");

  // The session's MSAL token cache is kept server-side, sealed: no token or name in clear.
  const caches = await query<{ sealed: Buffer }>(
    `SELECT sealed FROM "SessionTokenCache" ORDER BY "updatedAt" DESC LIMIT 1`,
  );
  expect(caches[0]!.sealed[0], "envelope format version").toBe(1);
  for (const clear of ["refresh_token", "secret", demoUsers.owner.upn, "eyJ"])
    expect(caches[0]!.sealed.includes(clear), clear).toBe(false);
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === "session")).toMatchObject({ httpOnly: true, sameSite: "Lax" });

  await accounts.signOut();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  await accounts.goto();
  await expect(accounts.empty).toBeVisible();

  const events = await query<{ action: string }>(
    `SELECT action FROM "AuditEvent" WHERE actor = $1 AND action LIKE 'auth.%' ORDER BY id`,
    [demoUsers.owner.objectId],
  );
  expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["auth.signIn", "auth.signOut"]));
});
