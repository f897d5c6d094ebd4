import type { Locator, Page } from "@playwright/test";
import { demoResourceGroup, demoSubscriptions } from "../../lib/demo/directory";
import { PortalPage } from "./portal-page";

/** An account's encryption page: the current key, the vault and key pickers, validate, save, back to the system key. */
export class EncryptionPage extends PortalPage {
  readonly type: Locator;
  readonly currentKeyIdentifier: Locator;
  readonly form: Locator;
  readonly checks: Locator;
  /** The customer key's versions and the accounts each wraps now. */
  readonly keyVersions: Locator;
  /** The account's identities (type, principal id, copy), and a way to add one. */
  readonly identity: Locator;
  /** Whether the identity chosen in the form may use the chosen key, with Grant access or the CLI command. */
  readonly keyAccess: Locator;

  constructor(
    page: Page,
    readonly name: string,
  ) {
    super(page, `/accounts/${demoSubscriptions.contosoMedia.id}/${demoResourceGroup}/${name}/encryption`);
    this.type = page.getByTestId("encryption-type");
    this.currentKeyIdentifier = page.getByTestId("current-key-identifier");
    this.form = page.getByTestId("encryption-form");
    this.checks = this.form.getByTestId("validation-checks");
    this.keyVersions = page.getByTestId("key-version-usage");
    this.identity = page.getByTestId("account-identity");
    this.keyAccess = page.getByTestId("key-access");
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

  /** Asks, and confirms in the dialog that names the account. */
  async switchToSystemKey() {
    await this.page.getByRole("button", { name: "Switch back to the system key" }).click();
    await this.systemKeyDialog.getByRole("button", { name: `Switch ${this.name} to the system key` }).click();
  }

  get systemKeyDialog() {
    return this.page.getByRole("dialog", { name: `Switch ${this.name} back to the system key?` });
  }

  /** The account's key state badge (Active, Inaccessible with its reason, Key Vault unreachable) and Check now. */
  get keyState() {
    return this.main.getByTestId("key-state");
  }

  grantAccess() {
    return this.keyAccess.getByRole("button", { name: "Grant access" }).click();
  }

  get grantCommand() {
    return this.keyAccess.getByTestId("grant-command").locator("code");
  }

  /** The row of one version (its 32 hex digits). */
  keyVersion(version: string) {
    return this.keyVersions.locator(`tr[data-version="${version}"]`);
  }

  /** An account listed on a version's row; `data-pinned` says whether its key id names that version. */
  accountOnVersion(version: string, account: string) {
    return this.keyVersion(version).locator(`[data-account="${account}"]`);
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
