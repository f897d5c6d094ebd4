/**
 * Changing an account's root key re-wraps only its account key: a bounded number of Key Vault
 * calls whatever the number of secrets, the secrets untouched and still readable; and nothing in
 * clear in the database afterwards.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoAutomationApp, demoResourceGroup, demoSubscriptions, demoTenants, demoUsers, demoVaults } from "@/lib/demo/directory";
import { startAppEnvironment, type AppEnvironment } from "@/lib/testing/app-environment";

const SECRETS = 10_000;
const MARKER = "PLAINTEXT-SECRET-MARKER";
const owner = { objectId: demoUsers.owner.objectId, tenantId: demoTenants.contoso.id, kind: "user" as const, name: "Owner" };
const ref = (name: string) => ({ subscriptionId: demoSubscriptions.contosoMedia.id, resourceGroup: demoResourceGroup, name });

let env: AppEnvironment;
let lib: {
  service: typeof import("@/lib/accounts/service");
  encryption: typeof import("@/lib/accounts/encryption");
  hierarchy: typeof import("@/lib/keys/hierarchy");
  envelope: typeof import("@/lib/crypto/envelope");
  arm: typeof import("@/lib/azure/arm-vaults");
  monitor: typeof import("@/lib/monitor/check");
  monitorStore: typeof import("@/lib/monitor/store");
};
const accountKeys = new Map<string, Buffer>();

async function keyVaultCalls(): Promise<number> {
  const counters = ((await env.emu.admin("GET", "counters")).json as { keyvault?: Record<string, Record<string, number>> }).keyvault ?? {};
  // The 401 challenge is the SDK's handshake for a new client, not an operation.
  return Object.values(counters).flatMap((ops) => Object.entries(ops)).filter(([op]) => op !== "challenge").reduce((n, [, c]) => n + c, 0);
}

async function sealedDigest(accountId: string): Promise<string> {
  const rows = await env.database.db.accountSecret.findMany({ where: { accountId }, orderBy: { id: "asc" }, select: { id: true, sealed: true } });
  const hash = createHash("sha256");
  for (const r of rows) hash.update(r.id).update(r.sealed);
  return `${rows.length}:${hash.digest("hex")}`;
}

before(async () => {
  env = await startAppEnvironment();
  lib = {
    service: await import("@/lib/accounts/service"),
    encryption: await import("@/lib/accounts/encryption"),
    hierarchy: await import("@/lib/keys/hierarchy"),
    envelope: await import("@/lib/crypto/envelope"),
    arm: await import("@/lib/azure/arm-vaults"),
    monitor: await import("@/lib/monitor/check"),
    monitorStore: await import("@/lib/monitor/store"),
  };
  const policy = (objectId: string, keys: string[]) => ({ properties: { accessPolicies: [{ tenantId: demoTenants.contoso.id, objectId, permissions: { keys } }] } });
  await env.emu.arm().vaults.updateAccessPolicy(demoVaults.resourceGroup, demoVaults.compliant.name, "add", policy(demoAutomationApp.objectId, ["get", "rotate"]));
  for (const [name, count] of [["zerosecrets", 0], ["manysecrets", SECRETS]] as const) {
    const account = await lib.service.createAccountFor(owner, { ...ref(name), location: "westus2", identityType: "SystemAssigned" });
    await env.emu.arm().vaults.updateAccessPolicy(demoVaults.resourceGroup, demoVaults.compliant.name, "add", policy(account.principalId!, ["get", "wrapKey", "unwrapKey"]));
    const key = await lib.hierarchy.accountKey(account);
    accountKeys.set(account.id, Buffer.from(key));
    for (let start = 0; start < count; start += 1000) {
      const data = Array.from({ length: Math.min(1000, count - start) }, (_, i) => {
        const id = crypto.randomUUID();
        const plaintext = Buffer.from(`${MARKER}-${start + i}-${randomBytes(8).toString("hex")}`);
        return { id, accountId: account.id, kind: "contentKey", sealed: new Uint8Array(lib.envelope.seal(key, plaintext, { scope: account.id, kind: "contentKey", id })) };
      });
      await env.database.db.accountSecret.createMany({ data });
    }
  }
});
after(async () => env?.dispose());

describe("re-wrapping is O(1) in the number of secrets", () => {
  it("costs the same, at most 3 Key Vault calls, with 0 or 10,000 secrets, and leaves every secret as it was", async () => {
    const lookup = lib.arm.vaultLookupAs((await env.emu.automation.getToken(`${env.emu.url}/.default`))!.token);
    const versionless = `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-3072`;
    const costs: Record<string, Record<string, number>> = {};
    for (const name of ["zerosecrets", "manysecrets"]) {
      const account = await env.database.db.mediaAccount.findFirstOrThrow({ where: { name } });
      const before = await sealedDigest(account.id);
      costs[name] = {};

      await env.emu.admin("POST", "reset");
      const switched = await lib.encryption.switchToCustomerKeyFor(owner, ref(name), { keyIdentifier: versionless, userAssignedIdentity: null }, lookup);
      assert.equal(switched.ok, true, JSON.stringify(switched.checks));
      costs[name].systemToCustomer = await keyVaultCalls();

      // Adopting a new version is the monitor's check: read the latest, prove access, re-wrap.
      await env.emu.keyClient(demoVaults.compliant.name).rotateKey("rsa-3072");
      await env.emu.admin("POST", "reset");
      assert.ok(await lib.monitorStore.claimAccount("test", account.id, 60_000));
      const adopted = (await lib.monitor.checkAccount(account.id, "test")).rewrappedTo;
      assert.ok(adopted && adopted !== switched.wrapping!.wrappedBy, "a new version was adopted");
      costs[name].newVersion = await keyVaultCalls();
      assert.equal((await lib.service.getAccountFor(owner, ref(name))).accountKey?.wrappedBy, adopted);

      await env.emu.admin("POST", "reset");
      await lib.encryption.switchToSystemKeyFor(owner, ref(name));
      costs[name].customerToSystem = await keyVaultCalls();

      assert.equal(await sealedDigest(account.id), before, "no secret was rewritten");
    }
    console.log("Key Vault calls per root change:", JSON.stringify(costs));
    assert.deepEqual(costs.manysecrets, costs.zerosecrets, "independent of the number of secrets");
    for (const [change, calls] of Object.entries(costs.zerosecrets!)) assert.ok(calls <= 3, `${change}: ${calls} calls`);
  });

  it("still opens the secrets after the changes, with the account key unwrapped anew from Key Vault", async () => {
    const account = await env.database.db.mediaAccount.findFirstOrThrow({ where: { name: "manysecrets" }, include: { accountKey: true } });
    lib.hierarchy.dropAccountKey(account.id);
    await env.emu.admin("POST", "reset");
    const key = await lib.hierarchy.accountKey(account);
    assert.equal(await keyVaultCalls(), 1, "one unwrap");
    assert.deepEqual(key, accountKeys.get(account.id), "the same account key throughout");
    const sample = await env.database.db.accountSecret.findMany({ where: { accountId: account.id }, take: 50 });
    for (const s of sample) {
      assert.match(lib.envelope.open(key, Buffer.from(s.sealed), { scope: account.id, kind: s.kind, id: s.id }).toString(), new RegExp(`^${MARKER}-`));
    }
  });

  it("leaves no plaintext account key or secret anywhere in the database", async () => {
    const tables = await env.database.db.$queryRaw<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    const needles = [Buffer.from(MARKER).toString("hex"), MARKER];
    for (const key of accountKeys.values()) needles.push(key.toString("hex"), key.toString("base64"), key.toString("base64url"));
    let rowsScanned = 0;
    for (const { table_name } of tables) {
      const rows = await env.database.db.$queryRawUnsafe<{ j: string }[]>(`SELECT row_to_json(t)::text AS j FROM "${table_name}" t`);
      rowsScanned += rows.length;
      for (const { j } of rows) {
        for (const needle of needles) assert.ok(!j.includes(needle), `${table_name} holds a plaintext (${needle.slice(0, 12)}…)`);
      }
    }
    assert.ok(rowsScanned > SECRETS, `scanned ${rowsScanned} rows`);
  });
});
