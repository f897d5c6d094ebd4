import type { Locator, Page } from "@playwright/test";
import { demoResourceGroup, demoSubscriptions } from "../../lib/demo/directory";
import { PortalPage } from "./portal-page";

/** An account's media page: jobs per transform, assets, content key policies, streaming locators. */
export class MediaPage extends PortalPage {
  readonly assets: Locator;
  readonly policies: Locator;
  readonly locators: Locator;
  readonly createLocatorForm: Locator;
  readonly blocked: Locator;

  constructor(page: Page, account: string, subscriptionId: string = demoSubscriptions.contosoMedia.id) {
    super(page, `/accounts/${subscriptionId}/${demoResourceGroup}/${account}/media`);
    this.assets = page.getByTestId("assets-table");
    this.policies = page.getByTestId("policies-table");
    this.locators = page.getByTestId("locators-table");
    this.createLocatorForm = page.getByTestId("create-locator-form");
    this.blocked = page.getByTestId("media-blocked");
  }

  jobs(transform: string) {
    return this.page.getByTestId(`jobs-${transform}`);
  }

  jobRow(transform: string, job: string) {
    return this.jobs(transform).getByRole("row", { name: new RegExp(job) });
  }

  jobProgress(transform: string, job: string) {
    return this.jobs(transform).getByRole("progressbar", { name: `Progress of ${job}` });
  }

  locatorRow(name: string) {
    return this.locators.getByRole("row", { name: new RegExp(name) });
  }

  /** The form that cancels the job (its one button). */
  cancelJobForm(job: string) {
    return this.page.locator("form", { has: this.page.getByRole("button", { name: `Cancel ${job}` }) });
  }

  cancelJob(job: string) {
    return this.page.getByRole("button", { name: `Cancel ${job}` }).click();
  }

  /** Fills the streaming locator form (the content key policy only when given) and submits it. */
  async createLocator(input: { name: string; asset?: string; streamingPolicy: string; contentKeyPolicy?: string }) {
    const form = this.createLocatorForm;
    await form.getByLabel("Locator name").fill(input.name);
    if (input.asset) await form.getByLabel("Asset").selectOption(input.asset);
    await form.getByLabel("Streaming policy").selectOption(input.streamingPolicy);
    if (input.contentKeyPolicy) await form.getByLabel(/Content key policy/).selectOption(input.contentKeyPolicy);
    await form.getByRole("button", { name: "Create streaming locator" }).click();
  }
}
