/**
 * Issue 13, "forms that keep the user's input and intent": a refusal keeps every typed value,
 * create opens the new account, delete asks first (naming the account) and lands on the list with
 * a notice, Readers are told why the page is read-only, and a signed-out page makes no
 * cross-origin prefetch of the sign-in redirect and has a favicon.
 */
import { demoUsers } from "../lib/demo/directory";
import { expect, test } from "./fixtures";
import { AccountPage, AccountsPage } from "./pages/account-page";
import { EncryptionPage } from "./pages/encryption-page";
import { MediaPage } from "./pages/media-page";
import { NotFoundPage } from "./pages/not-found-page";

test("a refused create keeps every typed value; a created account opens; delete confirms, then lists with a notice", async ({
  page,
  uniqueName,
}) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.owner.upn);
  const form = accounts.createForm;
  // contosomedia exists in media-rg (resource groups compare case-insensitively): the server refuses.
  await form.getByLabel("Resource group", { exact: true }).fill("MEDIA-RG");
  await form.getByLabel("Region").selectOption("eastus");
  await form.getByLabel("Managed identity").selectOption("None");
  await accounts.createAccount("contosomedia");
  await expect(accounts.nameError).toContainText("already exists");
  await expect(form.getByLabel("Account name")).toHaveValue("contosomedia");
  await expect(form.getByLabel("Resource group", { exact: true })).toHaveValue("MEDIA-RG");
  await expect(form.getByLabel("Region")).toHaveValue("eastus");
  await expect(form.getByLabel("Managed identity")).toHaveValue("None");

  const name = uniqueName("formsdel");
  await form.getByLabel("Resource group", { exact: true }).fill("media-rg");
  await accounts.createAccount(name);
  const account = new AccountPage(page, name);
  await page.waitForURL((url) => url.pathname === account.path, { timeout: 30_000 });
  await expect(account.heading(name)).toBeVisible();

  await account.deleteButton.click();
  await expect(account.deleteDialog).toContainText(`Delete the account ${name}?`);
  await account.deleteDialog.getByRole("button", { name: "Keep it" }).click();
  await expect(account.deleteDialog).toBeHidden();
  await page.reload();
  await expect(account.heading(name), "kept: nothing was deleted").toBeVisible();

  await account.deleteAccount();
  await page.waitForURL((url) => url.pathname === "/accounts");
  await expect(accounts.deletedNotice).toContainText(`Account ${name} was deleted`);
  await expect(accounts.accountLink(name)).toHaveCount(0);
  await expect(accounts.heading("Accounts")).toBeVisible();
});

test("a Reader is told the pages are read-only, and why, in the same words on every page", async ({
  page,
  browser,
}) => {
  const notice =
    "Read-only: you have Reader on this subscription. You can see everything here; creating, changing or deleting needs Owner or Contributor, which a subscription Owner can grant.";
  const list = new AccountsPage(page);
  await list.signIn(demoUsers.reader.upn);
  await expect(list.readOnlyNotice).toHaveText(notice);
  await expect(list.readOnlyNotice, "one notice, not a second wording in the create form").toHaveCount(1);
  await expect(list.createButton).toBeDisabled();
  const account = new AccountPage(page, "contosomedia");
  await account.goto();
  await expect(account.readOnlyNotice).toHaveText(notice);
  const encryption = new EncryptionPage(page, "contosomedia");
  await encryption.goto();
  await expect(encryption.readOnlyNotice).toHaveText(notice);
  const media = new MediaPage(page, "contosomedia");
  await media.goto();
  await expect(media.readOnlyNotice).toHaveText(notice);
  await expect(media.form("asset").getByRole("button", { name: "Create asset" })).toBeDisabled();

  const ownerPage = await (await browser.newContext()).newPage();
  const owner = new AccountPage(ownerPage, "contosomedia");
  await owner.signIn(demoUsers.owner.upn);
  await expect(owner.heading("contosomedia")).toBeVisible();
  await expect(owner.readOnlyNotice).toHaveCount(0);
  const ownerList = new AccountsPage(ownerPage);
  await ownerList.goto();
  await expect(ownerList.heading("Accounts")).toBeVisible();
  await expect(ownerList.readOnlyNotice).toHaveCount(0);
});

test("a link to an unknown or deleted account shows the portal's not-found page with a 404 and a way back", async ({
  page,
}) => {
  const list = new AccountsPage(page);
  await list.signIn(demoUsers.owner.upn);
  const gone = new NotFoundPage(page, new AccountPage(page, "nosuchaccount").path + "/encryption");
  const response = await gone.goto();
  expect(response?.status()).toBe(404);
  await expect(gone.heading("Not found")).toBeVisible();
  await expect(gone.notice).toContainText("The account may have been deleted");
  await expect(gone.nav, "inside the portal's layout").toBeVisible();
  await expect(gone.signedInUser).toHaveText(demoUsers.owner.name);
  await gone.backLink.click();
  await page.waitForURL((url) => url.pathname === "/accounts");
  await expect(list.heading("Accounts")).toBeVisible();
});

test("signed out: the sign-in link is not prefetched (no CORS error), and the favicon is a local file", async ({
  page,
}) => {
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  const signInRequests: string[] = [];
  page.on("request", (r) => new URL(r.url()).pathname.startsWith("/auth/sign-in") && signInRequests.push(r.url()));
  const home = new AccountsPage(page);
  await home.goto();
  const signIn = page.getByRole("banner").getByRole("link", { name: "Sign in" });
  await expect(signIn).toBeVisible();
  await signIn.hover();
  await page.waitForTimeout(1500);
  expect(signInRequests, "nothing fetched the sign-in route before a click").toEqual([]);
  expect(errors.filter((e) => /CORS|Access to fetch/i.test(e))).toEqual([]);

  const icon = await page.locator("link[rel=icon]").first().getAttribute("href");
  expect(icon).toBeTruthy();
  const answer = await page.request.get(icon!);
  expect(answer.status()).toBe(200);
  expect(answer.headers()["content-type"]).toContain("image/svg+xml");
});
