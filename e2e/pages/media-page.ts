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

  /** The empty state of a section: "jobs", "assets", "policies" or "locators". */
  empty(section: "jobs" | "assets" | "policies" | "locators") {
    return this.page.getByTestId(`${section}-empty`);
  }

  form(name: "asset" | "policy" | "job" | "locator") {
    return this.page.getByTestId(`create-${name}-form`);
  }

  async createAsset(name: string) {
    const form = this.form("asset");
    await form.getByLabel("Asset name").fill(name);
    await form.getByRole("button", { name: "Create asset" }).click();
  }

  /** An open policy, or a token policy; returns the form (its one-time key shows in it). */
  async createPolicy(name: string, restriction: { issuer: string; audience: string } | "open") {
    const form = this.form("policy");
    await form.getByLabel("Policy name").fill(name);
    if (restriction === "open") await form.getByLabel(/Anyone, without a token/).check();
    else {
      await form.getByLabel(/Players with a token/).check();
      await form.getByLabel("Token issuer").fill(restriction.issuer);
      await form.getByLabel("Token audience").fill(restriction.audience);
    }
    await form.getByRole("button", { name: "Create content key policy" }).click();
    return form;
  }

  /** A job from a URL, into an existing transform or (with a preset) a new one. */
  async createJob(input: { name: string; url: string; transform: string; newTransformPreset?: string }) {
    const form = this.form("job");
    await form.getByLabel("Job name").fill(input.name);
    await form.getByLabel(/Input file URL/).fill(input.url);
    if (input.newTransformPreset) {
      await form.getByLabel(/^Transform/).selectOption({ label: "A new transform…" });
      await form.getByLabel("New transform name").fill(input.transform);
      await form.getByLabel("Preset").selectOption(input.newTransformPreset);
    } else await form.getByLabel(/^Transform/).selectOption(input.transform);
    await form.getByRole("button", { name: "Create job" }).click();
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
