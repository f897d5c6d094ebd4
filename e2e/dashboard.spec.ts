import { demoAutomationApp, demoResourceGroup, demoSubscriptions, demoUsers, demoVaults } from "../lib/demo/directory";
import { newCompliantKey } from "./arm";
import { query } from "./db";
import { expect, test } from "./fixtures";
import { DashboardPage } from "./pages/dashboard-page";
import { clientCredentialsToken } from "./tokens";

test("a revoked key shows on the dashboard by itself, blocks operations with a clear error, and the account recovers when the key is back", async ({
  page,
  request,
  accounts,
  uniqueName,
}) => {
  // Seen above 2.5 min on a loaded 2-core machine.
  test.setTimeout(240_000);
  // A common laptop width: the expanded list of blocked operations must stay inside the table.
  await page.setViewportSize({ width: 1366, height: 900 });
  const keyName = uniqueName("dash-key");
  const { keys, key, keyIdentifier } = await newCompliantKey(keyName);
  const { name } = await accounts.createWithCustomerKey("dash", { vault: demoVaults.compliant.name, keyIdentifier });

  const dashboard = new DashboardPage(page);
  await dashboard.signIn(demoUsers.owner.upn);
  const row = dashboard.row(name);
  await expect(row.locator).toHaveAttribute("data-state", "CustomerKey");
  await expect(row.currentVersion).toHaveText(key.properties.version!);

  await keys.updateKeyProperties(keyName, key.properties.version!, { enabled: false });
  // No reload: the monitor sees it within its interval and the dashboard refreshes itself.
  // The monitor checks every second, but on a loaded 2-core machine it was seen to take over 20 s.
  await expect(row.locator).toHaveAttribute("data-state", "CustomerKeyInaccessible", { timeout: 60_000 });
  await expect(row.stateReason).toHaveAttribute("data-reason", "KeyDisabled");
  await expect(row.stateReason).toContainText("is disabled");
  await expect(row.locator.getByText("is disabled"), "the reason once per row").toHaveCount(1);
  await row.showBlocked();
  await expect(row.blockedOperations).toContainText("Deliver content keys to players (streaming)");
  await expect(row.blockedOperations).not.toContainText("Delete the account");
  const overflow = await page.getByTestId("dashboard-table").evaluate((table, account) => {
    const list = table.querySelector(`tr[data-account="${account}"] [data-testid="blocked-operations"]`)!;
    const cell = list.closest("td")!;
    return {
      listBeyondCell: list.getBoundingClientRect().right - cell.getBoundingClientRect().right,
      tableBeyondPage: table.getBoundingClientRect().right - document.documentElement.clientWidth,
      cellScrolls: cell.scrollWidth - cell.clientWidth,
    };
  }, name);
  expect(overflow.listBeyondCell, "at 1366 px the blocked operations stay inside their cell").toBeLessThanOrEqual(0);
  expect(overflow.cellScrolls, "and need no scrolling there").toBe(0);
  expect(overflow.tableBeyondPage, "the table stays inside the page").toBeLessThanOrEqual(0);
  await expect(dashboard.timeline).toContainText(`${name}: The key became inaccessible: The key version`);
  await expect(
    page.getByTestId("transitions-chart").getByRole("img", { name: /[1-9]\d* became inaccessible/ }),
    "the chart counts it",
  ).toBeVisible();
  await expect(row.locator.getByTestId("last-failure"), "the last failed check next to the last success").toContainText(
    /\d{4}-\d\d-\d\d.*KeyDisabled/,
  );
  // What still works is the policy table's list, in its words.
  await expect(row.locator.getByTestId("blocked-why")).toContainText(
    "Only these still work: read the account, list accounts, delete the account, check the customer key now.",
  );
  // Each process adds its checks to the hourly counts every CHECK_COUNTS_FLUSH_SECONDS (15 s).
  await expect(
    page
      .getByTestId("checks-chart")
      .getByRole("img", { name: /Key checks in the last 24 hours: [1-9]\d*.* [1-9]\d* failed/ }),
    "the chart counts the checks, the failed ones apart",
  ).toBeVisible({ timeout: 60_000 });
  await dashboard.filter("CustomerKeyInaccessible");
  await expect(dashboard.row(name).locator).toBeVisible();
  await expect(dashboard.rowsInState("SystemKey")).toHaveCount(0);

  // The REST API: GET works and says why; a change is refused with the inaccessible error.
  const token = await clientCredentialsToken(demoAutomationApp);
  const url = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${name}?api-version=2021-11-01`;
  const auth = { authorization: `Bearer ${token}` };
  expect((await (await request.get(url, { headers: auth })).json()).properties.encryption.status).toBe(
    "CustomerKeyInaccessible",
  );
  const refused = await request.patch(url, {
    headers: auth,
    data: { properties: { encryption: { type: "SystemKey" } } },
  });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toMatchObject({
    error: {
      code: "CustomerKeyInaccessible",
      message: expect.stringContaining("Restore the account identity's access"),
    },
  });

  await keys.updateKeyProperties(keyName, key.properties.version!, { enabled: true });
  await dashboard.filter("CustomerKey");
  await expect(dashboard.row(name).locator).toHaveAttribute("data-state", "CustomerKey", { timeout: 60_000 });
  await expect(dashboard.timeline).toContainText(`${name}: The key is accessible again`);
  const recovered = dashboard.row(name).locator;
  await expect(recovered.getByTestId("last-failure"), "the last failure stays after recovery").toContainText(
    /\d{4}-\d\d-\d\d.*KeyDisabled/,
  );
  // On a phone the charts shrink with the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(page.getByTestId("checks-chart")).toBeVisible();
  expect(
    await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    "no sideways scrolling at 390 px",
  ).toBe(true);
  // A PATCH is a long-running operation from 2021-06-01: 202, its operation already succeeded.
  expect((await request.patch(url, { headers: auth, data: {} })).status(), "changes work again").toBe(202);
});

test("pages by keyset links that keep the filter: last, previous, next, first; a malformed cursor is the first page", async ({
  page,
}) => {
  test.setTimeout(120_000);
  // More system-key accounts than a page, named to sort after every other account, so that they
  // push no other spec's account off the dashboard's first page while this runs.
  const seeded = 60;
  const group = "e2e-dash-pages-rg";
  const prefix = `zz${Date.now().toString(36).slice(-6)}`;
  const nameOf = (i: number) => `${prefix}${String(i).padStart(3, "0")}`;
  await query(
    `INSERT INTO "MediaAccount" (id, "subscriptionId", "resourceGroup", "resourceGroupKey", name, "nameKey", location, "updatedAt")
     SELECT gen_random_uuid(), $1::uuid, $2, $2, $3 || lpad(i::text, 3, '0'), $3 || lpad(i::text, 3, '0'), 'westus2', now()
     FROM generate_series(1, $4::int) AS i`,
    [demoSubscriptions.contosoMedia.id, group, prefix, seeded],
  );
  try {
    const dashboard = new DashboardPage(page);
    await dashboard.signIn(demoUsers.owner.upn);
    const rows = page.getByTestId("dashboard-table").locator("tbody tr");
    const names = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-account")));
    await dashboard.filter("SystemKey");
    await page.waitForURL((url) => url.searchParams.get("state") === "SystemKey");
    await expect(dashboard.pager("previous")).toHaveCount(0);

    await dashboard.pager("last").click();
    await page.waitForURL((url) => url.searchParams.get("page") === "last");
    await expect(rows.last()).toHaveAttribute("data-account", nameOf(seeded));
    expect(await names()).toEqual(Array.from({ length: 50 }, (_, i) => nameOf(i + 11)));
    await expect(dashboard.pager("next")).toHaveCount(0);
    await expect(dashboard.pager("last")).toHaveCount(0);

    await dashboard.pager("previous").click();
    await expect(rows.last()).toHaveAttribute("data-account", nameOf(10));
    expect(new URL(page.url()).searchParams.get("state")).toBe("SystemKey");
    for (const badge of await rows.getByTestId("key-state").all())
      await expect(badge).toHaveAttribute("data-state", "SystemKey");

    await dashboard.pager("next").click();
    await expect(rows.first()).toHaveAttribute("data-account", nameOf(11));

    await dashboard.pager("first").click();
    await expect(dashboard.pager("previous")).toHaveCount(0);
    const [first] = await names();
    await page.goto("/dashboard?state=SystemKey&after=not~a~cursor&before=x");
    await expect(dashboard.pager("previous")).toHaveCount(0);
    await expect(rows.first()).toHaveAttribute("data-account", first!);
  } finally {
    await query(`DELETE FROM "MediaAccount" WHERE "resourceGroupKey" = $1 AND "nameKey" LIKE $2`, [
      group,
      `${prefix}%`,
    ]);
  }
});
