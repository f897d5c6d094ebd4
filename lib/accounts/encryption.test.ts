/**
 * Changing an account's root key re-wraps only its account key: a bounded number of Key Vault
 * calls whatever the number of secrets, the secrets untouched and still readable; and nothing in
 * clear in the database afterwards.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { switchToCustomerKeyFor, switchToSystemKeyFor } from "@/lib/accounts/encryption";
import { createAccountFor, getAccountFor } from "@/lib/accounts/service";
import { demoAutomationApp, demoUsers, demoVaults } from "@/lib/demo/directory";
import { accountKey, dropAccountKey } from "@/lib/keys/hierarchy";
import { openSecret, sealSecrets } from "@/lib/media/secrets";
import { checkAccount } from "@/lib/monitor/check";
import { claimAccount } from "@/lib/monitor/store";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { encodingsOf, findInDatabase } from "@/test/support/database-scan";

const SECRETS = 10_000;
const MARKER = "PLAINTEXT-SECRET-MARKER";
const owner = principalOf(demoUsers.owner);
const ref = contosoAccount;

let env: AppEnvironment;
const accountKeys = new Map<string, Buffer>();

const keyVaultCalls = () => env.emu.keyVaultCalls();

async function sealedDigest(accountId: string): Promise<string> {
  const rows = await env.database.db.accountSecret.findMany({
    where: { accountId },
    orderBy: { id: "asc" },
    select: { id: true, sealed: true },
  });
  const hash = createHash("sha256");
  for (const r of rows) hash.update(r.id).update(r.sealed);
  return `${rows.length}:${hash.digest("hex")}`;
}

before(async () => {
  env = await startAppEnvironment();
  await env.emu.grantKeys(demoVaults.compliant.name, demoAutomationApp.objectId, ["get", "rotate"]);
  for (const [name, count] of [
    ["zerosecrets", 0],
    ["manysecrets", SECRETS],
  ] as const) {
    const account = await createAccountFor(owner, {
      ...ref(name),
      location: "westus2",
      identityType: "SystemAssigned",
    });
    await env.emu.grantKeys(demoVaults.compliant.name, account.principalId!);
    const key = await accountKey(account);
    accountKeys.set(account.id, Buffer.from(key));
    for (let start = 0; start < count; start += 1000) {
      const data = Array.from({ length: Math.min(1000, count - start) }, (_, i) => {
        const plaintext = Buffer.from(`${MARKER}-${start + i}-${randomBytes(8).toString("hex")}`);
        return {
          kind: "contentKey" as const,
          ownerId: crypto.randomUUID(),
          name: crypto.randomUUID(),
          value: plaintext,
        };
      });
      await env.database.db.accountSecret.createMany({ data: sealSecrets(account.id, key, data) });
    }
  }
});
after(async () => env?.dispose());

describe("re-wrapping is O(1) in the number of secrets", () => {
  it("costs the same, at most 3 Key Vault calls, with 0 or 10,000 secrets, and leaves every secret as it was", async () => {
    const lookup = await env.vaultLookup();
    const versionless = `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-3072`;
    const costs: Record<string, Record<string, number>> = {};
    for (const name of ["zerosecrets", "manysecrets"]) {
      const account = await env.database.db.mediaAccount.findFirstOrThrow({ where: { name } });
      const before = await sealedDigest(account.id);
      costs[name] = {};

      await env.emu.admin("POST", "reset");
      const switched = await switchToCustomerKeyFor(
        owner,
        ref(name),
        { keyIdentifier: versionless, userAssignedIdentity: null },
        lookup,
      );
      assert.ok(switched.ok, JSON.stringify(switched.checks));
      costs[name].systemToCustomer = await keyVaultCalls();

      // Adopting a new version is the monitor's check: read the latest, prove access, re-wrap.
      await env.emu.keyClient(demoVaults.compliant.name).rotateKey("rsa-3072");
      await env.emu.admin("POST", "reset");
      assert.ok(await claimAccount("test", account.id, 60_000));
      const adopted = (await checkAccount(account.id, "test")).rewrappedTo;
      assert.ok(adopted && adopted !== switched.wrapping.wrappedBy, "a new version was adopted");
      costs[name].newVersion = await keyVaultCalls();
      assert.equal((await getAccountFor(owner, ref(name))).accountKey?.wrappedBy, adopted);

      await env.emu.admin("POST", "reset");
      await switchToSystemKeyFor(owner, ref(name));
      costs[name].customerToSystem = await keyVaultCalls();

      assert.equal(await sealedDigest(account.id), before, "no secret was rewritten");
    }
    console.log("Key Vault calls per root change:", JSON.stringify(costs));
    assert.deepEqual(costs.manysecrets, costs.zerosecrets, "independent of the number of secrets");
    for (const [change, calls] of Object.entries(costs.zerosecrets!))
      assert.ok(calls <= 3, `${change}: ${calls} calls`);
  });

  it("still opens the secrets after the changes, with the account key unwrapped anew from Key Vault", async () => {
    const account = await env.database.db.mediaAccount.findFirstOrThrow({
      where: { name: "manysecrets" },
      include: { accountKey: true },
    });
    dropAccountKey(account.id);
    await env.emu.admin("POST", "reset");
    const key = await accountKey(account);
    assert.equal(await keyVaultCalls(), 1, "one unwrap");
    assert.deepEqual(key, accountKeys.get(account.id), "the same account key throughout");
    const sample = await env.database.db.accountSecret.findMany({ where: { accountId: account.id }, take: 50 });
    for (const s of sample) {
      assert.match(openSecret(account.id, key, s).toString(), new RegExp(`^${MARKER}-`));
    }
  });

  it("leaves no plaintext account key or secret anywhere in the database", async () => {
    const needles = [Buffer.from(MARKER).toString("hex"), MARKER, ...[...accountKeys.values()].flatMap(encodingsOf)];
    const found = await findInDatabase((sql) => env.database.db.$queryRawUnsafe(sql), needles);
    assert.deepEqual(found.hits, []);
    assert.ok(found.rowsScanned > SECRETS, `scanned ${found.rowsScanned} rows`);
  });
});
