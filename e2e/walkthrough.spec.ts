/**
 * Issue 13, "Done when": the README's BYOK walkthrough is true step by step, and this test follows
 * it literally, from sign-in to a saved customer key, in the portal alone (no fixture data, no
 * token, no ARM call). It reads README.md: the walkthrough's numbered steps must be the ones listed
 * here (their titles and the names in bold), each test step is titled with the README's text, and
 * a step may only use the names in bold that its README step gives, so a README change that this
 * test does not follow fails it.
 */
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { e2eStack } from "./stack";

interface ReadmeStep {
  title: string;
  /** The names in bold after the title: what the step clicks, picks or reads. */
  names: string[];
  /** The step's text without Markdown emphasis, which titles the test step. */
  text: string;
}

const walkthroughHeading = "### Walkthrough: a customer key in the portal";

/** The numbered steps of the README's walkthrough section. */
function readmeWalkthrough(): ReadmeStep[] {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf(`${walkthroughHeading}\n`);
  if (start < 0) throw new Error(`README.md has no "${walkthroughHeading}" section`);
  const section = readme.slice(start + walkthroughHeading.length).split(/\n#{1,3} /)[0]!;
  // A step is a numbered line and the lines indented under it.
  const items = section.split("\n").reduce<string[]>((acc, line) => {
    if (/^\d+\. /.test(line)) acc.push(line.replace(/^\d+\. /, ""));
    else if (/^ {3}\S/.test(line) && acc.length) acc[acc.length - 1] += ` ${line.trim()}`;
    return acc;
  }, []);
  return items.map((item) => {
    const bold = [...item.matchAll(/\*\*(.+?)\*\*/g)].map((m) => m[1]!);
    return {
      title: bold[0]!.replace(/\.$/, ""),
      names: bold.slice(1),
      text: item
        .replace(/\*\*/g, "")
        .replace(/`/g, "")
        .replace(/<(https?:[^>]+)>/g, "$1"),
    };
  });
}

/** The steps this test follows, in the README's order, with the names each one uses. */
const followed: Omit<ReadmeStep, "text">[] = [
  { title: "Sign in", names: ["Sign in", "owner@contoso.localhost"] },
  {
    title: "Create an account",
    names: [
      "Accounts",
      "Create an account",
      "Account name",
      "Region",
      "westus2",
      "Managed identity",
      "System-assigned",
      "None",
      "Create account",
    ],
  },
  {
    title: "Give it a managed identity",
    names: ["Identity", "System-assigned", "Copy", "Add a system-assigned identity"],
  },
  { title: "Pick the vault and the key", names: ["Manage encryption", "contoso-byok", "Key vault", "rsa-3072", "Key"] },
  { title: "Grant access", names: ["Access for the account's identity", "Grant access"] },
  { title: "Validate", names: ["Validate"] },
  { title: "Save", names: ["Save", "Key state", "Active"] },
];

test("the README's walkthrough lists exactly the steps and names this test follows", () => {
  expect(readmeWalkthrough().map(({ title, names }) => ({ title, names }))).toEqual(followed);
});

/** Runs the README's steps in order; `step(title, body)` fails unless it is the next one, and `say` only gives its bold names. */
function walkthrough() {
  const steps = readmeWalkthrough();
  let next = 0;
  return async (title: string, body: (say: (name: string) => string) => Promise<void>) => {
    const readme = steps[next++];
    expect(readme?.title, "the README's next step").toBe(title);
    const say = (name: string) => {
      if (!readme!.names.includes(name)) throw new Error(`README step "${title}" does not name **${name}**`);
      return name;
    };
    await test.step(`${next}. ${readme!.text}`, () => body(say));
  };
}

/** A server action that calls ARM or Key Vault: seen above 5 s on a loaded 2-core machine. */
const actionTimeout = 30_000;

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);

async function keyStateIsActive(page: Page, say: (name: string) => string) {
  const badge = page.getByRole("main").getByTestId("key-state");
  await expect(badge).toHaveAttribute("data-state", "CustomerKey");
  await expect(badge.locator(".badge")).toHaveText(say("Active"));
}

for (const identityChoice of ["System-assigned", "None"] as const) {
  test(`a newcomer follows the README's walkthrough to a saved customer key (Managed identity: ${identityChoice})`, async ({
    page,
    uniqueName,
  }) => {
    // Seven steps, each a page load or server action that reads ARM and Key Vault as the user.
    test.setTimeout(180_000);
    const step = walkthrough();
    const name = uniqueName("walk");

    await step("Sign in", async (say) => {
      await page.goto("/");
      await page
        .getByRole("banner")
        .getByRole("link", { name: say("Sign in"), exact: true })
        .click();
      // The emulator's sign-in page (Entra ID), then back to the portal.
      await expect(page.getByRole("heading", { name: "Pick an account" })).toBeVisible();
      await page
        .getByRole("button", { name: new RegExp(say("owner@contoso.localhost").replace(/\./g, "\\.")) })
        .click();
      await page.waitForURL((url) => url.origin === e2eStack.baseURL);
      await expect(page.getByTestId("signed-in-user")).toBeVisible();
    });

    await step("Create an account", async (say) => {
      await page
        .getByRole("navigation", { name: "Main" })
        .getByRole("link", { name: say("Accounts") })
        .click();
      const form = page.getByRole("form", { name: say("Create an account") });
      await form.getByLabel(say("Account name")).fill(name);
      await expect(form.getByLabel(say("Region"))).toHaveValue(say("westus2"));
      const identity = form.getByLabel(say("Managed identity"));
      await expect(identity.locator("option:checked")).toContainText(say("System-assigned"));
      if (identityChoice === "None") await identity.selectOption({ label: say("None") });
      await form.getByRole("button", { name: say("Create account") }).click();
      await expect(page.getByRole("heading", { level: 1, name })).toBeVisible({ timeout: 30_000 });
    });

    await step("Give it a managed identity", async (say) => {
      const facts = page
        .getByRole("main")
        .getByRole("definition")
        .filter({ has: page.getByTestId("account-identity") });
      await expect(
        page
          .getByRole("main")
          .getByRole("term")
          .filter({ hasText: exactly(say("Identity")) }),
      ).toBeVisible();
      if (identityChoice === "None")
        await facts.getByRole("button", { name: say("Add a system-assigned identity") }).click();
      await expect(facts.getByTestId("identity-type")).toHaveText(say("System-assigned"), { timeout: actionTimeout });
      await expect(facts.getByTestId("principal-id")).toHaveText(/^[0-9a-f-]{36}$/);
      await expect(facts.getByRole("button", { name: new RegExp(`^${say("Copy")} principal id`) })).toBeVisible();
    });

    await step("Pick the vault and the key", async (say) => {
      await page.getByRole("link", { name: say("Manage encryption") }).click();
      await page.waitForURL((url) => url.pathname.endsWith("/encryption"));
      await page.getByLabel(say("Key vault"), { exact: true }).selectOption(say("contoso-byok"));
      await page.waitForURL(/[?&]vault=contoso-byok/);
      const form = page.getByTestId("encryption-form");
      await expect(form).toHaveAttribute("aria-busy", "false");
      await form.getByLabel(say("Key"), { exact: true }).selectOption(say("rsa-3072"));
    });

    const access = page.getByRole("region", { name: "Access for the account's identity" });
    await step("Grant access", async (say) => {
      await expect(page.getByRole("heading", { name: say("Access for the account's identity") })).toBeVisible();
      await expect(access).toContainText("lacks get, wrapKey, unwrapKey on the keys of contoso-byok");
      await access.getByRole("button", { name: say("Grant access") }).click();
      await expect(access).toContainText("Granted", { timeout: actionTimeout });
      await expect(access.getByTestId("key-access-status")).toHaveText(/^✓ /);
    });

    const form = page.getByTestId("encryption-form");
    await step("Validate", async (say) => {
      await form.getByRole("button", { name: say("Validate") }).click();
      const checks = form.getByRole("list", { name: "Validation checks" }).getByRole("listitem");
      await expect(checks).toHaveCount(9, { timeout: actionTimeout });
      await expect(checks.and(page.locator('[data-ok="true"]'))).toHaveCount(9);
      await expect(checks.last(), "the last, a live wrap and unwrap").toHaveAttribute("data-check", "access");
      await expect(checks.last()).toContainText("Wrapped and unwrapped a test key as the account's identity");
    });

    await step("Save", async (say) => {
      await form.getByRole("button", { name: say("Save") }).click();
      await expect(form.getByText(/^Saved: the account key is now wrapped by .*\/keys\/rsa-3072\//)).toBeVisible({
        timeout: actionTimeout,
      });
      await expect(page.getByRole("term").filter({ hasText: exactly(say("Key state")) })).toBeVisible();
      await keyStateIsActive(page, say);
      await page.getByRole("link", { name: `← ${name}` }).click();
      await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
      await keyStateIsActive(page, say);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Accounts" }).click();
      const row = page
        .getByTestId("accounts-table")
        .locator("tr", { has: page.getByRole("link", { name, exact: true }) });
      await expect(row.getByTestId("key-state")).toHaveAttribute("data-state", "CustomerKey");
      await expect(row.getByTestId("key-state").locator(".badge")).toHaveText(say("Active"));
    });
  });
}
