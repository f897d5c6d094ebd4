import { expect, type Locator, type Page } from "@playwright/test";

/** What every portal page has: the main navigation, the signed-in user, sign-in and sign-out. */
export class PortalPage {
  readonly nav: Locator;
  readonly signedInUser: Locator;
  readonly main: Locator;

  constructor(
    readonly page: Page,
    /** Where goto() and signIn() land. */
    readonly path: string,
  ) {
    this.nav = page.getByRole("navigation", { name: "Main" });
    this.signedInUser = page.getByTestId("signed-in-user");
    this.main = page.getByRole("main");
  }

  goto() {
    return this.page.goto(this.path);
  }

  heading(name?: string) {
    return this.page.getByRole("heading", { level: 1, ...(name ? { name } : {}) });
  }

  /** The one notice that says why forms are off for a user with read roles only (components/read-only-notice.tsx). */
  get readOnlyNotice() {
    return this.page.getByTestId("read-only-notice");
  }

  navLink(name: string) {
    return this.nav.getByRole("link", { name });
  }

  /** Signs in through the portal's button and the emulator's sign-in page, as a person would, and lands on this page. */
  async signIn(upn: string) {
    await this.page.goto(`/auth/sign-in?returnTo=${encodeURIComponent(this.path)}`);
    await expect(this.page.getByRole("heading", { name: "Pick an account" })).toBeVisible();
    await this.page.getByRole("button", { name: new RegExp(upn.replace(/\./g, "\\.")) }).click();
    await this.page.waitForURL((url) => url.pathname === this.path.split("?")[0]);
  }

  async signOut() {
    await this.page.getByRole("button", { name: "Sign out" }).click();
    await this.page.waitForURL((url) => url.pathname === "/");
  }
}
