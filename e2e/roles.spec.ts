import { demoUsers } from "../lib/demo/directory";
import { expect, test } from "./fixtures";
import { AccountsPage } from "./pages/account-page";

test("a reader sees the accounts but every change control is disabled, and a forged submission is refused", async ({
  page,
}) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.reader.upn);
  await expect(accounts.accountLink("contosomedia")).toBeVisible();
  await expect(accounts.createButton).toBeDisabled();
  await expect(accounts.nameField).toBeDisabled();

  // Re-enable the form in the page, as someone editing the DOM would, and submit it.
  await accounts.createForm.locator("fieldset").evaluate((el) => el.removeAttribute("disabled"));
  await accounts.createAccount("readerforged");
  await expect(accounts.formAlert).toContainText("does not have authorization");
  await page.reload();
  await expect(accounts.accountLink("readerforged")).toHaveCount(0);

  const account = await accounts.openAccount("contosomedia");
  const del = account.deleteButton;
  await expect(del).toBeDisabled();
  await expect(account.readOnlyNotice).toContainText("Read-only: you have Reader on this subscription");
  // Open the confirmation anyway, as someone editing the DOM would, and confirm.
  await page.locator("dialog").evaluate((el) => (el as HTMLDialogElement).showModal());
  await account.deleteDialog.getByRole("button", { name: "Yes, delete contosomedia" }).click();
  await expect(account.alert).toContainText("does not have authorization");
  await accounts.goto();
  await expect(accounts.accountLink("contosomedia")).toBeVisible();
});

test("a server action posted from another origin is refused, even with a valid session", async ({ page }) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.owner.upn);
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
  await expect(accounts.signedInUser, "the forged sign-out did not run").toHaveText(demoUsers.owner.name);
});
