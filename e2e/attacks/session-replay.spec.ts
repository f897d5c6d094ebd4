/** Replaying a copied session cookie after sign-out, through the browser and the full stack. */
import { demoUsers } from "../../lib/demo/directory";
import { query } from "../db";
import { expect, test } from "../fixtures";
import { AccountsPage } from "../pages/account-page";

test("a session cookie copied before sign-out is refused after it, for pages and server actions", async ({
  browser,
  page,
  uniqueName,
}) => {
  // Creating an account opens it: one more page to render than before.
  test.setTimeout(90_000);
  const owner = new AccountsPage(page);
  await owner.signIn(demoUsers.owner.upn);
  const stolen = (await page.context().cookies()).filter((c) => c.name === "session");
  expect(stolen).toHaveLength(1);

  // The copy works while the session lives: another browser acts as the owner with it.
  const thief = await browser.newContext();
  await thief.addCookies(stolen);
  const thiefAccounts = new AccountsPage(await thief.newPage());
  await thiefAccounts.goto();
  await expect(thiefAccounts.signedInUser).toHaveText(demoUsers.owner.name);
  const before = uniqueName("rb");
  await thiefAccounts.createAccount(before, { region: "westus2" });
  await expect(thiefAccounts.heading(before), "the created account opens").toBeVisible({ timeout: 30_000 });
  await thiefAccounts.goto();

  await owner.signOut();

  // The page the thief still has open posts a server action with the copied cookie: refused.
  const after = uniqueName("ra");
  await thiefAccounts.createAccount(after);
  await expect(thiefAccounts.createdMessage("Your session has ended: sign in again.")).toBeVisible();
  expect(await query(`SELECT name FROM "MediaAccount" WHERE name = ANY($1) ORDER BY name`, [[before, after]])).toEqual([
    { name: before },
  ]);

  // A fresh browser with the copy is not signed in.
  const replay = await browser.newContext();
  await replay.addCookies(stolen);
  const replayAccounts = new AccountsPage(await replay.newPage());
  await replayAccounts.goto();
  await expect(replayAccounts.page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(replayAccounts.signedInUser).toHaveCount(0);
  await thief.close();
  await replay.close();
});

test("a session cookie copied before signing in again is refused after it", async ({ browser, page }) => {
  const owner = new AccountsPage(page);
  await owner.signIn(demoUsers.owner.upn);
  const stolen = (await page.context().cookies()).filter((c) => c.name === "session");
  expect(stolen).toHaveLength(1);

  // The same browser signs in again: a new session replaces the one the copy names.
  await owner.signIn(demoUsers.owner.upn);
  const renewed = (await page.context().cookies()).filter((c) => c.name === "session");
  expect(renewed[0]!.value).not.toBe(stolen[0]!.value);
  await owner.goto();
  await expect(owner.signedInUser).toHaveText(demoUsers.owner.name);

  const replay = await browser.newContext();
  await replay.addCookies(stolen);
  const replayAccounts = new AccountsPage(await replay.newPage());
  await replayAccounts.goto();
  await expect(replayAccounts.signedInUser).toHaveCount(0);
  await replay.close();
});
