/**
 * The e2e test API: Playwright's, with a browser that trusts exactly the emulator's certificate
 * key (its SPKI hash), so pages can follow the real sign-in redirects to the emulated Entra ID
 * over HTTPS without turning certificate checks off; names unique per worker; and accounts made
 * through lib/ (not by clicking), as ai-chatbot's and formbricks' fixtures make their data.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test as base, chromium, expect, type Browser } from "@playwright/test";
import { demoAutomationApp, demoTenants } from "../lib/demo/directory";
import { grantKeyAccess } from "./arm";
import type { Call, CreatedAccount, Operations, Reply } from "./lib-process";
import { chromiumLaunch, e2eStack, emulatorState } from "./stack";
import { clientCredentialsToken } from "./tokens";

/** The emulator's server key, read once the stack is up (the emulator creates it at start). */
export function emulatorSpki(): string {
  const cert = new X509Certificate(readFileSync(path.join(e2eStack.dataDir, "emulator", "tls", "server.pem")));
  return createHash("sha256")
    .update(cert.publicKey.export({ type: "spki", format: "der" }))
    .digest("base64");
}

export interface Accounts {
  /** A Contoso account in westus2 made by the owner through lib/, on the system key, with a name unique to this worker. */
  create(prefix: string, options?: { identityType?: "None" | "SystemAssigned" }): Promise<CreatedAccount>;
  /** The same with a system-assigned identity, granted get/wrapKey/unwrapKey on the vault, and switched to the key. */
  createWithCustomerKey(prefix: string, key: { vault: string; keyIdentifier: string }): Promise<CreatedAccount>;
}

/** lib/ in a process started as the app's worker is (see e2e/lib-process.ts), with the e2e stack's configuration. */
function startLibProcess() {
  const { NODE_OPTIONS: _playwrightLoader, ...env } = process.env;
  const child: ChildProcess = fork(path.resolve("e2e/lib-process.ts"), [], {
    execArgv: ["--conditions=react-server", "--import", "tsx"],
    env: {
      ...env,
      APP_PROFILE: "local",
      DATA_DIR: e2eStack.dataDir,
      EMBEDDED_DB_PORT: String(e2eStack.embeddedDbPort),
      EMULATOR_PORT: String(e2eStack.emulatorPort),
      EMULATOR_IDENTITY_PORT: String(e2eStack.emulatorIdentityPort),
      IDENTITY_ENDPOINT: `http://127.0.0.1:${e2eStack.emulatorIdentityPort}/msi/token`,
      IDENTITY_HEADER: emulatorState<{ identityHeader: string }>().identityHeader,
    },
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  let next = 0;
  child.on("message", (reply: Reply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) waiter?.resolve(reply.value);
    else waiter?.reject(new Error(reply.error));
  });
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`e2e/lib-process.ts exited with ${code}`));
    pending.clear();
  });
  return {
    call<K extends keyof Operations>(
      op: K,
      args: Parameters<Operations[K]>[0],
    ): Promise<Awaited<ReturnType<Operations[K]>>> {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, op, args } as Call);
      });
    },
    stop: () =>
      new Promise<void>((resolve) =>
        child.exitCode !== null ? resolve() : (child.once("exit", () => resolve()), child.disconnect()),
      ),
  };
}

export const test = base.extend<
  object,
  { browser: Browser; uniqueName: (prefix: string) => string; accounts: Accounts }
>({
  browser: [
    async ({ playwright: _ }, use) => {
      const browser = await chromium.launch({
        ...chromiumLaunch,
        args: [...chromiumLaunch.args, `--ignore-certificate-errors-spki-list=${emulatorSpki()}`],
      });
      await use(browser);
      await browser.close();
    },
    { scope: "worker" },
  ],
  // The worker's index and a count: unique within a run, since a worker that restarts gets a new
  // index, and each run starts from an empty stack (--reset-data). Letters and digits only, as
  // account names allow.
  uniqueName: [
    async ({}, use, workerInfo) => {
      let count = 0;
      await use((prefix) => `${prefix}w${workerInfo.workerIndex}n${++count}`);
    },
    { scope: "worker" },
  ],
  accounts: [
    async ({ uniqueName }, use) => {
      const lib = startLibProcess();
      const create: Accounts["create"] = (prefix, { identityType = "SystemAssigned" } = {}) =>
        lib.call("createAccount", { name: uniqueName(prefix), identityType });
      await use({
        create,
        async createWithCustomerKey(prefix, { vault, keyIdentifier }) {
          const account = await create(prefix, { identityType: "SystemAssigned" });
          await grantKeyAccess(account.principalId!, [vault], demoTenants.contoso.id);
          await lib.call("bindCustomerKey", {
            name: account.name,
            keyIdentifier,
            armToken: await clientCredentialsToken(demoAutomationApp),
          });
          return account;
        },
      });
      await lib.stop();
    },
    { scope: "worker" },
  ],
});

export { expect };
