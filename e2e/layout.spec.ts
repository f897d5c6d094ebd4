/**
 * Issue 13, "phones" and "done when": every portal page, signed out, as the Owner and as a Reader,
 * at 390 px (a phone) and 1366 px (a laptop), is no wider than the viewport and has no serious or
 * critical axe-core violation, and again in the dark theme; so are the emulator's sign-in page, the
 * not-found page, and the states a click reaches (confirmation dialogs, validation results, a
 * refused form). The accounts under test include one whose customer key was disabled, so the widest
 * content (reasons, blocked operations, key identifiers, the media page's blocked notice) is on
 * screen, and a new account whose media page shows only empty states.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { demoUsers, demoVaults } from "../lib/demo/directory";
import { demoMedia } from "../lib/demo/media";
import { newCompliantKey } from "./arm";
import { expect, test } from "./fixtures";
import { AccountPage, AccountsPage } from "./pages/account-page";
import { DashboardPage } from "./pages/dashboard-page";
import { EncryptionPage } from "./pages/encryption-page";
import { MediaPage } from "./pages/media-page";
import { NotFoundPage } from "./pages/not-found-page";
import { PlayerPage } from "./pages/player-page";
import { PortalPage } from "./pages/portal-page";

const widths = [390, 1366] as const;

/** Every page of the portal for these accounts, and the not-found page of an unknown one. */
function portalPages(page: Page, accounts: string[]): PortalPage[] {
  return [
    new PortalPage(page, "/"),
    new AccountsPage(page),
    new DashboardPage(page),
    ...accounts.flatMap((name) => [
      new AccountPage(page, name),
      new EncryptionPage(page, name),
      new MediaPage(page, name),
    ]),
    new PlayerPage(page, demoMedia.account, demoMedia.locator.name),
    new NotFoundPage(page, new AccountPage(page, "nosuchaccount").path),
  ];
}

/** What is wrong with the page as shown: its overflow at this width, and axe's serious or critical violations. */
async function layoutProblems(page: Page): Promise<string[]> {
  // Collapsed details (blocked operations, advice) count too: open them before measuring.
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
  const problems: string[] = [];
  const { scrollWidth, innerWidth, widest } = await page.evaluate(() => {
    const innerWidth = window.innerWidth;
    // The elements that first reach past the viewport (their parent does not), to say what overflows.
    const past = (el: Element | null) => !!el && el.getBoundingClientRect().right > innerWidth + 0.5;
    const over = [...document.querySelectorAll("body *")].filter((el) => past(el) && !past(el.parentElement));
    const widest = over.slice(0, 5).map((el) => {
      const id = el.id ? `#${el.id}` : "";
      const testId = el.getAttribute("data-testid");
      return `${el.tagName.toLowerCase()}${id}${testId ? `[data-testid=${testId}]` : ""} right=${Math.round(el.getBoundingClientRect().right)}`;
    });
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth, widest };
  });
  if (scrollWidth > innerWidth)
    problems.push(`page is ${scrollWidth} px wide in a ${innerWidth} px viewport; past the edge: ${widest.join(", ")}`);
  const { violations } = await new AxeBuilder({ page }).analyze();
  for (const v of violations.filter((v) => v.impact === "serious" || v.impact === "critical"))
    problems.push(
      `axe ${v.impact} ${v.id}: ${v.help}\n` +
        v.nodes
          .slice(0, 5)
          .map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.replace(/\s+/g, " ")}`)
          .join("\n"),
    );
  return problems;
}

/** Each page at each width; every problem is reported (soft), so one run lists them all. */
async function checkPages(pages: PortalPage[], at: readonly number[] = widths, scheme = "light") {
  for (const width of at) {
    for (const portalPage of pages) {
      await portalPage.page.setViewportSize({ width, height: 900 });
      const response = await portalPage.goto();
      if (portalPage instanceof NotFoundPage) {
        expect(response?.status(), `${portalPage.path} is not found`).toBe(404);
        await expect(portalPage.notice).toBeVisible();
      } else expect(response?.ok(), `${portalPage.path} loads`).toBe(true);
      await expect(portalPage.heading()).toBeVisible();
      expect.soft(await layoutProblems(portalPage.page), `${portalPage.path} at ${width} px, ${scheme}`).toEqual([]);
    }
  }
}

/** The same pages in the dark theme (globals.css's prefers-color-scheme: dark), at the phone's width. */
async function checkPagesDark(page: Page, pages: PortalPage[]) {
  await page.emulateMedia({ colorScheme: "dark" });
  await checkPages(pages, [widths[0]], "dark");
  await page.emulateMedia({ colorScheme: "light" });
}

test("signed out, every page and the sign-in page fit at 390 and 1366 px and pass axe, light and dark", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const pages = [
    new PortalPage(page, "/"),
    new AccountsPage(page),
    new DashboardPage(page),
    new NotFoundPage(page, "/no-such-page"),
  ];
  await checkPages(pages);
  await checkPagesDark(page, pages);
  for (const width of widths) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto("/auth/error?reason=cancelled");
    await expect(page.getByRole("main").getByRole("alert")).toHaveText("Sign-in was cancelled at Entra ID.");
    expect.soft(await layoutProblems(page), `/auth/error at ${width} px`).toEqual([]);
    // The emulator's Entra ID page, where the portal's Sign in leads: a newcomer sees it on a phone too.
    await page.goto("/auth/sign-in?returnTo=/accounts");
    await expect(page.getByRole("heading", { name: "Pick an account" })).toBeVisible();
    await expect(page.locator('meta[name="viewport"]')).toHaveAttribute("content", /width=device-width/);
    expect.soft(await layoutProblems(page), `the sign-in page at ${width} px`).toEqual([]);
  }
});

test.describe("signed in", () => {
  // One worker runs both roles, so the accounts below are made once.
  test.describe.configure({ mode: "default" });
  let inaccessible: string;
  let empty: string;

  test.beforeAll(async ({ accounts, uniqueName }) => {
    test.setTimeout(240_000);
    // An account on a customer key that is then disabled: the state with the most to say.
    const keyName = uniqueName("layout-key");
    const { keys, key, keyIdentifier } = await newCompliantKey(keyName);
    ({ name: inaccessible } = await accounts.createWithCustomerKey("layout", {
      vault: demoVaults.compliant.name,
      keyIdentifier,
    }));
    await keys.updateKeyProperties(keyName, key.properties.version!, { enabled: false });
    // A new account: its media page has only empty states.
    ({ name: empty } = await accounts.create("layoutempty"));
  });

  for (const role of ["owner", "reader"] as const)
    test(`as the ${role}, every page fits at 390 and 1366 px and passes axe${role === "owner" ? ", light and dark" : ""}`, async ({
      page,
    }) => {
      test.setTimeout(600_000);
      const dashboard = new DashboardPage(page);
      await dashboard.signIn(demoUsers[role].upn);
      // The monitor (1 s interval here) has seen the disabled key before the pages are measured.
      await expect(dashboard.row(inaccessible).locator).toHaveAttribute("data-state", "CustomerKeyInaccessible", {
        timeout: 20_000,
      });
      // What the widest and the emptiest media pages show is on screen when they are measured.
      const blocked = new MediaPage(page, inaccessible);
      await blocked.goto();
      await expect(blocked.blocked).toBeVisible();
      const fresh = new MediaPage(page, empty);
      await fresh.goto();
      await expect(fresh.empty("assets")).toBeVisible();

      const pages = portalPages(page, [demoMedia.account, inaccessible, empty]);
      await checkPages(pages);
      if (role === "owner") await checkPagesDark(page, pages);
    });

  test("as the owner, the states a click reaches fit at 390 px and pass axe, light and dark", async ({
    page,
    accounts,
    uniqueName,
  }) => {
    test.setTimeout(300_000);
    const keyName = uniqueName("layout-states-key");
    const { keyIdentifier } = await newCompliantKey(keyName);
    const { name: onCustomerKey } = await accounts.createWithCustomerKey("layoutstates", {
      vault: demoVaults.compliant.name,
      keyIdentifier,
    });
    const list = new AccountsPage(page);
    await list.signIn(demoUsers.owner.upn);
    await page.setViewportSize({ width: widths[0], height: 900 });
    const states: { name: string; reach(): Promise<void> }[] = [
      {
        name: "the delete confirmation",
        async reach() {
          const account = new AccountPage(page, empty);
          await account.goto();
          await account.deleteButton.click();
          await expect(account.deleteDialog).toBeVisible();
        },
      },
      {
        name: "the switch-back confirmation",
        async reach() {
          const encryption = new EncryptionPage(page, onCustomerKey);
          await encryption.goto();
          await page.getByRole("button", { name: "Switch back to the system key" }).click();
          await expect(encryption.systemKeyDialog).toBeVisible();
        },
      },
      {
        name: "validation results",
        async reach() {
          const encryption = new EncryptionPage(page, empty);
          await encryption.goto();
          await encryption.pickVault(demoVaults.noPurgeProtection.name);
          await encryption.pickKey("rsa-2048");
          await encryption.validate();
          await expect(encryption.check("recovery")).toHaveAttribute("data-ok", "false");
        },
      },
      {
        name: "a refused create",
        async reach() {
          await list.goto();
          await list.createAccount(demoMedia.account);
          await expect(list.nameError).toContainText("already exists");
        },
      },
    ];
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const state of states) {
        await state.reach();
        expect.soft(await layoutProblems(page), `${state.name} at ${widths[0]} px, ${scheme}`).toEqual([]);
      }
    }
  });
});
