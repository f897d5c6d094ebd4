import { demoUsers } from "../lib/demo/directory";
import { expect, signIn, test } from "./fixtures";

test("a reader sees the accounts but every change control is disabled, and a forged submission is refused", async ({ page }) => {
  await signIn(page, demoUsers.reader.upn);
  await expect(page.getByTestId("accounts-table").getByRole("link", { name: "contosomedia" })).toBeVisible();
  const form = page.getByTestId("create-account-form");
  await expect(form.getByRole("button", { name: "Create account" })).toBeDisabled();
  await expect(form.getByLabel("Account name")).toBeDisabled();

  // Re-enable the form in the page, as someone editing the DOM would, and submit it.
  await form.locator("fieldset").evaluate((el) => el.removeAttribute("disabled"));
  await form.getByLabel("Account name").fill("readerforged");
  await form.getByRole("button", { name: "Create account" }).click();
  await expect(form.getByRole("alert")).toContainText("does not have authorization");
  await page.reload();
  await expect(page.getByTestId("accounts-table").getByRole("link", { name: "readerforged" })).toHaveCount(0);

  await page.getByTestId("accounts-table").getByRole("link", { name: "contosomedia" }).click();
  const del = page.getByRole("button", { name: "Delete contosomedia" });
  await expect(del).toBeDisabled();
  await del.evaluate((el) => el.removeAttribute("disabled"));
  await del.click();
  await expect(page.getByRole("main").getByRole("alert")).toContainText("does not have authorization");
  await page.goto("/accounts");
  await expect(page.getByTestId("accounts-table").getByRole("link", { name: "contosomedia" })).toBeVisible();
});

test("a server action posted from another origin is refused, even with a valid session", async ({ page }) => {
  await signIn(page, demoUsers.owner.upn);
  const html = await (await page.request.get("/accounts")).text();
  const actionId = /\$ACTION_ID_([0-9a-f]+)/.exec(html)?.[1];
  expect(actionId, "the sign-out form carries its action id").toBeTruthy();
  const forged = await page.request.post("/accounts", {
    headers: { "Next-Action": actionId!, Origin: "http://evil.example" },
    multipart: { [`$ACTION_ID_${actionId}`]: "" },
    maxRedirects: 0,
  });
  expect(forged.status()).toBeGreaterThanOrEqual(400);
  await page.reload();
  await expect(page.getByTestId("signed-in-user"), "the forged sign-out did not run").toHaveText(demoUsers.owner.name);
});
