/** Replaying a copied session cookie after sign-out, through the browser and the full stack. */
import { demoUsers } from "../../lib/demo/directory";
import { query } from "../db";
import { expect, signIn, test } from "../fixtures";

test("a session cookie copied before sign-out is refused after it, for pages and server actions", async ({ browser, page }) => {
  await signIn(page, demoUsers.owner.upn);
  const stolen = (await page.context().cookies()).filter((c) => c.name === "session");
  expect(stolen).toHaveLength(1);

  // The copy works while the session lives: another browser acts as the owner with it.
  const thief = await browser.newContext();
  await thief.addCookies(stolen);
  const thiefPage = await thief.newPage();
  await thiefPage.goto("/accounts");
  await expect(thiefPage.getByTestId("signed-in-user")).toHaveText(demoUsers.owner.name);
  const form = thiefPage.getByTestId("create-account-form");
  const before = `rb${test.info().workerIndex}${Date.now().toString(36)}`.slice(0, 24);
  await form.getByLabel("Account name").fill(before);
  await form.getByLabel("Region").selectOption("westus2");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByText(`Account ${before} created in westus2.`)).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL((url) => url.pathname === "/");

  // The page the thief still has open posts a server action with the copied cookie: refused.
  const after = `ra${test.info().workerIndex}${Date.now().toString(36)}`.slice(0, 24);
  await form.getByLabel("Account name").fill(after);
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByText("Your session has ended: sign in again.")).toBeVisible();
  expect(await query(`SELECT name FROM "MediaAccount" WHERE name = ANY($1) ORDER BY name`, [[before, after]])).toEqual([{ name: before }]);

  // A fresh browser with the copy is not signed in.
  const replay = await browser.newContext();
  await replay.addCookies(stolen);
  const replayPage = await replay.newPage();
  await replayPage.goto("/accounts");
  await expect(replayPage.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(replayPage.getByTestId("signed-in-user")).toHaveCount(0);
  await thief.close();
  await replay.close();
});
