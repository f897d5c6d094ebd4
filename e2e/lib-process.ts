/**
 * Test data made through lib/, as the app makes it, for the e2e fixtures. It runs in a process of
 * its own started like the app's worker (`--conditions=react-server`, tsx): Playwright's runner
 * loads spec files without that condition, where lib/'s `server-only` guard refuses to load.
 * The parent (e2e/fixtures.ts) sets the e2e stack's configuration in its environment, sends one
 * message per call, and gets the answer or the error's message back.
 */
import { switchToCustomerKeyFor } from "@/lib/accounts/encryption";
import { createAccountFor } from "@/lib/accounts/service";
import { vaultLookupAs } from "@/lib/azure/arm-vaults";
import { disconnectDb } from "@/lib/db/client";
import { demoUsers } from "@/lib/demo/directory";
import { contosoAccount, principalOf } from "@/test/support/app-environment";

const owner = principalOf(demoUsers.owner);

export interface CreatedAccount {
  name: string;
  principalId: string | null;
}

export const operations = {
  /** A Contoso account in westus2, created by the owner, on the system key. */
  async createAccount({
    name,
    identityType,
  }: {
    name: string;
    identityType: "None" | "SystemAssigned";
  }): Promise<CreatedAccount> {
    const account = await createAccountFor(owner, { ...contosoAccount(name), location: "westus2", identityType });
    return { name, principalId: account.principalId };
  },
  /** Switches the account to the customer key, as the owner saving the encryption form; vaults are looked up as the automation app. */
  async bindCustomerKey({
    name,
    keyIdentifier,
    armToken,
  }: {
    name: string;
    keyIdentifier: string;
    armToken: string;
  }): Promise<void> {
    const result = await switchToCustomerKeyFor(
      owner,
      contosoAccount(name),
      { keyIdentifier, userAssignedIdentity: null },
      vaultLookupAs(armToken),
    );
    if (!result.ok)
      throw new Error(
        `binding ${name} to ${keyIdentifier} was refused: ${JSON.stringify(result.checks.filter((c) => c.ok === false))}`,
      );
  },
};

export type Operations = typeof operations;
export type Call = {
  [K in keyof Operations]: { id: number; op: K; args: Parameters<Operations[K]>[0] };
}[keyof Operations];
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

if (process.send) {
  process.on("message", async (call: Call) => {
    const reply = (r: Reply) => process.send!(r);
    try {
      reply({
        id: call.id,
        ok: true,
        value: await (operations[call.op] as (args: unknown) => Promise<unknown>)(call.args),
      });
    } catch (err) {
      reply({ id: call.id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  });
  process.on("disconnect", () => void disconnectDb().finally(() => process.exit(0)));
}
