/**
 * A Contoso account on the compliant vault's RSA-2048 key, with what tests of the key gate flip:
 * the account identity's access to the vault, and one key monitor check of the account.
 */
import assert from "node:assert/strict";
import { demoVaults } from "@/lib/demo/directory";
import type { AccountRecord } from "@/lib/accounts/store";
import type { Principal } from "@/lib/auth/principal";
import * as monitor from "@/lib/monitor/check";
import * as monitorStore from "@/lib/monitor/store";
import type { AppEnvironment } from "./app-environment";

export interface KeyAccess {
  account: AccountRecord;
  /** Gives or removes the account identity's key permissions in the vault. */
  grant(operation: "add" | "remove"): Promise<void>;
  /** Checks the account's key now, as the monitor would; its result ("inaccessible", "recovered", ...). */
  check(): Promise<string>;
}

export async function customerKeyAccount(env: AppEnvironment, owner: Principal, name: string): Promise<KeyAccess> {
  const vault = demoVaults.compliant.name;
  const account = await env.createCustomerKeyAccount(owner, name, vault, `${env.emu.vaultUrl(vault)}/keys/rsa-2048`);
  const principalId = account.principalId!;
  return {
    account,
    async grant(operation) {
      const change = () =>
        operation === "add" ? env.emu.grantKeys(vault, principalId) : env.emu.revokeKeys(vault, principalId);
      // The ARM client may reuse a keep-alive socket that the emulator closed while it sat idle
      // (minutes, in a long test): the PUT then fails with ECONNRESET before it was read. Once more.
      await change().catch((err: { code?: string }) => {
        if (err.code !== "ECONNRESET") throw err;
        return change();
      });
    },
    async check() {
      assert.ok(await monitorStore.claimAccount("test", account.id, 60_000));
      return (await monitor.checkAccount(account.id, "test")).result;
    },
  };
}
