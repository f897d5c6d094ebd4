/**
 * The app's own configuration pointed at a fresh emulator and a fresh database, for integration
 * tests of lib/ code: Key Vault, managed identities and ARM are reached exactly as in production
 * (HTTPS, the emulator's CA, IDENTITY_ENDPOINT). Call before the first use of any lib module that
 * reads the configuration (importing one reads nothing).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "@/emulator/test-support";
import { switchToCustomerKeyFor } from "@/lib/accounts/encryption";
import { createAccountFor, getAccountFor } from "@/lib/accounts/service";
import type { AccountRecord, AccountRef } from "@/lib/accounts/store";
import { vaultLookupAs } from "@/lib/azure/arm-vaults";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { seedDemo } from "@/lib/db/seed";
import { demoAutomationApp, demoResourceGroup, demoSubscriptions, demoUsers, demoVaults } from "@/lib/demo/directory";
import type { Principal } from "@/lib/auth/principal";
import type { VaultLookup } from "@/lib/keys/binding";

/** A demo user as the app sees a signed-in principal. */
export const principalOf = (user: { objectId: string; name: string; tenant: string }): Principal => ({
  objectId: user.objectId,
  tenantId: user.tenant,
  kind: "user",
  name: user.name,
});

/** A Contoso demo account by name. */
export const contosoAccount = (name: string): AccountRef => ({
  subscriptionId: demoSubscriptions.contosoMedia.id,
  resourceGroup: demoResourceGroup,
  name,
});

export interface AppEnvironment {
  emu: TestEmulator;
  database: TestDatabase;
  /** Reads vaults from ARM as the automation app (Owner of the Contoso subscription), as binding a key does. */
  vaultLookup(): Promise<VaultLookup>;
  /**
   * Creates a Contoso account with a system-assigned identity as `owner`, grants that identity the
   * vault, and switches the account to the key; throws with the failed checks if it is refused.
   */
  createCustomerKeyAccount(
    owner: Principal,
    name: string,
    vault: string,
    keyIdentifier: string,
  ): Promise<AccountRecord>;
  dispose(): Promise<void>;
}

export async function startAppEnvironment(): Promise<AppEnvironment> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "byok-app-"));
  const emu = await startTestEmulator({ dataDir: path.join(dataDir, "emulator") });
  Object.assign(process.env, {
    APP_PROFILE: "local",
    DATA_DIR: dataDir,
    EMULATOR_PORT: String(emu.port),
    IDENTITY_ENDPOINT: emu.identityEndpoint,
    IDENTITY_HEADER: emu.identityHeader,
  });
  const database = await createTestDatabase({ forApp: true });
  await seedDemo(database.db);
  const vaultLookup = async () => {
    return vaultLookupAs((await emu.automation.getToken(`${emu.url}/.default`))!.token);
  };
  return {
    emu,
    database,
    vaultLookup,
    async createCustomerKeyAccount(owner, name, vault, keyIdentifier) {
      const account = await createAccountFor(owner, {
        ...contosoAccount(name),
        location: "westus2",
        identityType: "SystemAssigned",
      });
      await emu.grantKeys(vault, account.principalId!);
      const result = await switchToCustomerKeyFor(
        owner,
        contosoAccount(name),
        { keyIdentifier, userAssignedIdentity: null },
        await vaultLookup(),
      );
      if (!result.ok)
        throw new Error(
          `binding ${name} to ${keyIdentifier} was refused: ${JSON.stringify(result.checks.filter((c) => c.ok === false))}`,
        );
      return getAccountFor(owner, contosoAccount(name));
    },
    async dispose() {
      await database.drop();
      await emu.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * `count` Contoso customer-key accounts on `vault`, each with a key of its own (a worker reads a
 * key once per cycle however many accounts share it), all due for a check now. Returns their ids.
 */
export async function accountsWithOwnKeys(env: AppEnvironment, prefix: string, count: number): Promise<string[]> {
  const vault = demoVaults.compliant.name;
  await env.emu.grantKeys(vault, demoAutomationApp.objectId, ["get", "create"]);
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    await env.emu.keyClient(vault).createRsaKey(`${prefix}-${i}`, { keySize: 2048 });
    const keyIdentifier = `${env.emu.vaultUrl(vault)}/keys/${prefix}-${i}`;
    ids.push(
      (await env.createCustomerKeyAccount(principalOf(demoUsers.owner), `${prefix}${i}`, vault, keyIdentifier)).id,
    );
  }
  await env.database.db.mediaAccount.updateMany({ where: { id: { in: ids } }, data: { nextCheckAt: new Date() } });
  return ids;
}
