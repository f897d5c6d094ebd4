import type { Locator, Page } from "@playwright/test";
import { demoResourceGroup, demoSubscriptions } from "../../lib/demo/directory";
import { EncryptionPage } from "./encryption-page";
import { PortalPage } from "./portal-page";

/** The accounts list and its create form. */
export class AccountsPage extends PortalPage {
  readonly table: Locator;
  readonly empty: Locator;
  readonly createForm: Locator;

  constructor(page: Page) {
    super(page, "/accounts");
    this.table = page.getByTestId("accounts-table");
    this.empty = page.getByTestId("accounts-empty");
    this.createForm = page.getByTestId("create-account-form");
  }

  /** The key state badge on an account's row. */
  keyState(name: string) {
    const link = this.page.getByRole("link", { name, exact: true });
    return this.table.locator("tr", { has: link }).getByTestId("key-state");
  }

  accountLink(name: string) {
    return this.table.getByRole("link", { name, exact: true });
  }

  /** Fills the create form and submits it; the outcome shows in the form (createdMessage, fieldError, alert). */
  async createAccount(name: string, options: { region?: string; identity?: "None" | "SystemAssigned" } = {}) {
    await this.createForm.getByLabel("Account name").fill(name);
    if (options.region) await this.createForm.getByLabel("Region").selectOption(options.region);
    if (options.identity) await this.createForm.getByLabel("Managed identity").selectOption(options.identity);
    await this.createForm.getByRole("button", { name: "Create account" }).click();
  }

  createdMessage(text: string) {
    return this.createForm.getByText(text);
  }

  get createButton() {
    return this.createForm.getByRole("button", { name: "Create account" });
  }

  get nameField() {
    return this.createForm.getByLabel("Account name");
  }

  get nameError() {
    return this.createForm.locator("#name-error");
  }

  get formAlert() {
    return this.createForm.getByRole("alert");
  }

  get deletedNotice() {
    return this.page.getByTestId("deleted-notice");
  }

  async openAccount(name: string) {
    await this.accountLink(name).click();
    return new AccountPage(this.page, name);
  }
}

/** One account's page. */
export class AccountPage extends PortalPage {
  constructor(
    page: Page,
    readonly name: string,
    subscriptionId: string = demoSubscriptions.contosoMedia.id,
  ) {
    super(page, `/accounts/${subscriptionId}/${demoResourceGroup}/${name}`);
  }

  /** The account's key state badge and Check now. */
  get keyState() {
    return this.main.getByTestId("key-state");
  }

  /** The account's identities (type, principal id, copy), and a way to add one. */
  get identity() {
    return this.page.getByTestId("account-identity");
  }

  get deleteButton() {
    return this.page.getByRole("button", { name: `Delete ${this.name}`, exact: true });
  }

  /** The confirmation dialog that Delete opens, naming the account. */
  get deleteDialog() {
    return this.page.getByRole("dialog", { name: `Delete the account ${this.name}?` });
  }

  /** Delete, then Yes in the dialog. */
  async deleteAccount() {
    await this.deleteButton.click();
    await this.deleteDialog.getByRole("button", { name: `Yes, delete ${this.name}` }).click();
  }

  get alert() {
    return this.main.getByRole("alert");
  }

  async openEncryption() {
    await this.page.getByRole("link", { name: "Manage encryption" }).click();
    // The encryption page reads vaults, keys and the identity's access as the user before it shows.
    await this.page.waitForURL((url) => url.pathname.endsWith("/encryption"));
    return new EncryptionPage(this.page, this.name);
  }
}
