import type { Locator, Page } from "@playwright/test";
import { PortalPage } from "./portal-page";

/** The key status dashboard: one row per account, filters by state, and the timeline of transitions. */
export class DashboardPage extends PortalPage {
  readonly timeline: Locator;

  constructor(page: Page) {
    super(page, "/dashboard");
    this.timeline = page.getByTestId("timeline");
  }

  row(account: string) {
    return new DashboardRow(this.page.locator(`tr[data-account="${account}"]`));
  }

  rowsInState(state: string) {
    return this.page.locator(`tr[data-state="${state}"]`);
  }

  filter(state: "SystemKey" | "CustomerKey" | "CustomerKeyInaccessible") {
    return this.page.getByTestId(`filter-${state}`).click();
  }

  /** A link of the pager under the accounts table. */
  pager(link: "first" | "previous" | "next" | "last") {
    return this.page.getByTestId(`dashboard-${link}`);
  }
}

export class DashboardRow {
  readonly currentVersion: Locator;
  readonly stateReason: Locator;
  readonly blockedOperations: Locator;

  constructor(readonly locator: Locator) {
    this.currentVersion = locator.getByTestId("current-version");
    this.stateReason = locator.getByTestId("state-reason");
    this.blockedOperations = locator.getByTestId("blocked-operations");
  }

  showBlocked() {
    return this.locator.getByText(/blocked/).click();
  }
}
