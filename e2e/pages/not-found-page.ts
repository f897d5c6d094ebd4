import type { Locator, Page } from "@playwright/test";
import { PortalPage } from "./portal-page";

/** The portal's not-found page (app/not-found.tsx), served with a 404 for any path it is given here. */
export class NotFoundPage extends PortalPage {
  readonly status = 404;
  readonly notice: Locator;
  readonly backLink: Locator;

  constructor(page: Page, path: string) {
    super(page, path);
    this.notice = page.getByTestId("not-found");
    this.backLink = this.main.getByRole("link", { name: "Back to your accounts" });
  }
}
