/**
 * Issue 17, "so does every list": the accounts page shows 50 accounts a page however many there
 * are, pages forward and back by keyset links, searches by a name prefix (any case) and filters by
 * key state and subscription on the server, with a count per filter. Seeds more accounts than a page
 * directly in the database (as a scale seed would), and removes them afterwards.
 */
import { demoSubscriptions, demoUsers } from "../lib/demo/directory";
import { query } from "./db";
import { expect, test } from "./fixtures";
import { AccountsPage } from "./pages/account-page";

const SEEDED = 60;
/** Every tenth seeded account has an inaccessible customer key. */
const INACCESSIBLE = SEEDED / 10;
const group = "e2e-list-rg";
const prefix = `zl${Date.now().toString(36).slice(-5)}`;
const nameOf = (i: number) => `${prefix}${String(i).padStart(3, "0")}`;

// A sign-in and a dozen page loads: more than the default 30 s on a loaded two-core machine.
test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  await query(
    `INSERT INTO "MediaAccount" (id, "subscriptionId", "resourceGroup", "resourceGroupKey", name, "nameKey", location,
       "updatedAt", "encryptionType", "keyStatus", "keyIdentifier", "keyStatusReason")
     SELECT gen_random_uuid(), $1::uuid, $2, $2, $3 || lpad(i::text, 3, '0'), $3 || lpad(i::text, 3, '0'), 'westus2', now(),
       (CASE WHEN i % 10 = 0 THEN 'CustomerKey' ELSE 'SystemKey' END)::"EncryptionType",
       (CASE WHEN i % 10 = 0 THEN 'Inaccessible' ELSE 'Active' END)::"KeyStatus",
       CASE WHEN i % 10 = 0 THEN 'https://gone.vault.localhost/keys/k' END,
       CASE WHEN i % 10 = 0 THEN 'KeyNotFound' END
     FROM generate_series(1, $4::int) AS i`,
    [demoSubscriptions.contosoMedia.id, group, prefix, SEEDED],
  );
});

test.afterAll(async () => {
  await query(`DELETE FROM "MediaAccount" WHERE "resourceGroupKey" = $1 AND "nameKey" LIKE $2`, [group, `${prefix}%`]);
});

test("pages 50 at a time, searches by name prefix in any case, filters by state and subscription", async ({ page }) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.owner.upn);
  const rows = accounts.table.locator("tbody tr");
  const names = () => rows.locator("td:first-child").allTextContents();

  // Search through the form, typed in upper case: names compare case-insensitively.
  const filters = page.getByTestId("accounts-filters");
  await filters.getByLabel("Name starts with").fill(prefix.toUpperCase());
  await filters.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL((url) => url.searchParams.get("q")?.toLowerCase() === prefix);
  await expect(page.getByTestId("accounts-count")).toContainText(`${SEEDED} matching accounts`);
  await expect(rows).toHaveCount(50);
  expect(await names()).toEqual(Array.from({ length: 50 }, (_, i) => nameOf(i + 1)));
  await expect(page.getByTestId("accounts-previous")).toHaveCount(0);

  await page.getByTestId("accounts-next").click();
  await expect(rows).toHaveCount(SEEDED - 50);
  expect(await names()).toEqual(Array.from({ length: SEEDED - 50 }, (_, i) => nameOf(i + 51)));
  await expect(page.getByTestId("accounts-next")).toHaveCount(0);

  await page.getByTestId("accounts-previous").click();
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText(nameOf(1));
  await expect(page.getByTestId("accounts-previous")).toHaveCount(0);

  // The key state filter, its option naming the count for this search.
  const state = filters.getByLabel("Key state");
  await expect(state.locator("option[value=CustomerKeyInaccessible]")).toHaveText(
    `Customer key inaccessible (${INACCESSIBLE})`,
  );
  await state.selectOption("CustomerKeyInaccessible");
  await filters.getByRole("button", { name: "Filter" }).click();
  await page.waitForURL((url) => url.searchParams.get("state") === "CustomerKeyInaccessible");
  await expect(rows).toHaveCount(INACCESSIBLE);
  expect(await names()).toEqual(Array.from({ length: INACCESSIBLE }, (_, i) => nameOf((i + 1) * 10)));
  for (const badge of await rows.getByTestId("key-state").all())
    await expect(badge).toHaveAttribute("data-state", "CustomerKeyInaccessible");

  // By subscription: the owner's lists them; one the owner may not read lists nothing (and says nothing of it).
  await page.goto(`/accounts?q=${prefix}&subscription=${demoSubscriptions.contosoMedia.id}`);
  await expect(page.getByTestId("accounts-count")).toContainText(`${SEEDED} matching accounts`);
  await expect(
    filters.getByLabel("Subscription").locator(`option[value="${demoSubscriptions.contosoMedia.id}"]`),
  ).toContainText(`(${SEEDED})`);
  await page.goto(`/accounts?q=${prefix}&subscription=${demoSubscriptions.fabrikamMedia.id}`);
  await expect(page.getByTestId("accounts-none-match")).toBeVisible();
  await expect(accounts.table).toHaveCount(0);

  // Malformed parameters are dropped, never an error page: the first page of the search.
  await page.goto(`/accounts?q=${prefix}&state=Nope&after=not~a~cursor&subscription=x`);
  await expect(rows).toHaveCount(50);
  await expect(rows.first()).toContainText(nameOf(1));
});

test("the unfiltered list is one page too, with a link to the next", async ({ page }) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.owner.upn);
  await expect(accounts.table.locator("tbody tr")).toHaveCount(50);
  await expect(page.getByTestId("accounts-next")).toBeVisible();
});
