import type { Locator, Page } from "@playwright/test";
import { demoResourceGroup, demoSubscriptions } from "../../lib/demo/directory";
import { PortalPage } from "./portal-page";

/** The portal's player for one streaming locator. */
export class PlayerPage extends PortalPage {
  readonly video: Locator;
  readonly status: Locator;
  readonly errors: Locator;
  readonly manifest: Locator;

  constructor(page: Page, account: string, locator: string) {
    super(
      page,
      `/accounts/${demoSubscriptions.contosoMedia.id}/${demoResourceGroup}/${account}/media/player/${locator}`,
    );
    this.video = page.getByTestId("player-video");
    this.status = page.getByTestId("player-status");
    this.errors = page.getByTestId("player-errors");
    this.manifest = page.getByTestId("player-manifest");
  }

  currentTime(): Promise<number> {
    return this.video.evaluate((v: HTMLVideoElement) => v.currentTime);
  }
}
