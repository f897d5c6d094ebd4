import type { Locator, Page } from "@playwright/test";
import { demoResourceGroup, demoSubscriptions } from "../../lib/demo/directory";
import { PortalPage } from "./portal-page";

/** An account's encryption page: the current key, the vault and key pickers, validate, save, back to the system key. */
export class EncryptionPage extends PortalPage {
  readonly type: Locator;
  readonly currentKeyIdentifier: Locator;
  readonly form: Locator;
  readonly checks: Locator;

  constructor(page: Page, name: string) {
    super(page, `/accounts/${demoSubscriptions.contosoMedia.id}/${demoResourceGroup}/${name}/encryption`);
    this.type = page.getByTestId("encryption-type");
    this.currentKeyIdentifier = page.getByTestId("current-key-identifier");
    this.form = page.getByTestId("encryption-form");
    this.checks = this.form.getByTestId("validation-checks");
  }

  /** Picks the vault; the page reloads with that vault's keys. */
  async pickVault(vault: string) {
    await this.page.getByLabel("Key vault", { exact: true }).selectOption(vault);
    await this.page.waitForURL(new RegExp(`vault=${vault}`));
  }

  pickKey(key: string) {
    return this.form.getByLabel("Key", { exact: true }).selectOption(key);
  }

  validate() {
    return this.form.getByRole("button", { name: "Validate" }).click();
  }

  save() {
    return this.form.getByRole("button", { name: "Save" }).click();
  }

  switchToSystemKey() {
    return this.page.getByRole("button", { name: "Switch back to the system key" }).click();
  }

  check(name: string) {
    return this.form.locator(`li[data-check="${name}"]`);
  }

  passedChecks() {
    return this.checks.locator('li[data-ok="true"]');
  }

  get alert() {
    return this.form.getByRole("alert");
  }

  message(text: string | RegExp) {
    return this.form.getByText(text);
  }
}
