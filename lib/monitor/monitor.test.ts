/**
 * The key monitor against real changes in the emulator: new versions adopted (pinned ones not),
 * every kind of revocation seen with its reason, recovery without user action, transient faults
 * never changing a state, a worker checking a batch's accounts concurrently (one slow or failing
 * account holding back none, stopping handing back the rest), and two workers never checking one
 * account at once.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { checkKeyNowFor, switchToSystemKeyFor } from "@/lib/accounts/encryption";
import { deleteAccountFor } from "@/lib/accounts/service";
import { open, seal } from "@/lib/crypto/envelope";
import { demoTenants, demoUsers, demoVaults, demoAutomationApp } from "@/lib/demo/directory";
import { accountKey, dropAccountKey } from "@/lib/keys/hierarchy";
import {
  accountsWithOwnKeys,
  contosoAccount,
  principalOf,
  startAppEnvironment,
  type AppEnvironment,
} from "@/test/support/app-environment";
import { checkAccount, type KeyReads } from "./check";
import { checkCountsSince, flushCheckCounts } from "./check-counts";
import { claimAccount } from "./store";
import { startMonitor } from "./worker";

process.env.MONITOR_INTERVAL_SECONDS = "0.3";
process.env.MONITOR_CONCURRENCY = "4";
const owner = principalOf(demoUsers.owner);
const tenantId = demoTenants.contoso.id;
const ref = contosoAccount;
const rg = demoVaults.resourceGroup;

let env: AppEnvironment;
const principals = new Map<string, string>();

async function bind(name: string, vault: string, keyIdentifier: string) {
  const account = await env.createCustomerKeyAccount(owner, name, vault, keyIdentifier);
  principals.set(name, account.principalId!);
  return account.id;
}

const grant = (vault: string, objectId: string, keys?: string[]) => env.emu.grantKeys(vault, objectId, keys);

/** Makes the accounts due and runs one monitor cycle; returns each account's outcome by name. */
async function cycle(names: string[]) {
  await env.database.db.mediaAccount.updateMany({ where: { name: { in: names } }, data: { nextCheckAt: new Date(0) } });
  const monitor = startMonitor({ loop: false });
  const outcomes = await monitor.runOnce();
  const byId = new Map(outcomes.map((o) => [o.accountId, o]));
  const accounts = await env.database.db.mediaAccount.findMany({
    where: { name: { in: names } },
    include: { accountKey: true },
  });
  return Object.fromEntries(
    accounts.map((a) => [
      a.name,
      {
        ...byId.get(a.id),
        state: a.keyStatus,
        reason: a.keyStatusReason,
        wrappedBy: a.accountKey?.wrappedBy,
        unreachable: a.unreachableSince !== null,
      },
    ]),
  );
}

const transitions = (name: string) =>
  env.database.db.keyTransition.findMany({
    where: { account: { name } },
    orderBy: { id: "asc" },
    select: { toState: true, reason: true },
  });

before(async () => {
  env = await startAppEnvironment();
  await grant(demoVaults.compliant.name, demoAutomationApp.objectId, [
    "get",
    "create",
    "update",
    "rotate",
    "delete",
    "recover",
  ]);
});
after(async () => env?.dispose());

describe("key monitor", () => {
  it("adopts a new version for a versionless key with one re-wrap, leaves a pinned version alone, and secrets still open", async () => {
    const keys = env.emu.keyClient(demoVaults.compliant.name);
    const v1 = await keys.createRsaKey("rotating", { keySize: 2048 });
    const base = `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rotating`;
    const latestId = await bind("followslatest", demoVaults.compliant.name, base);
    await bind("pinned", demoVaults.compliant.name, `${base}/${v1.properties.version}`);
    const account = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id: latestId } });
    const key = await accountKey(account);
    const secret = randomBytes(16);
    const sealed = seal(key, secret, { scope: latestId, kind: "contentKey", id: "s1" });

    assert.equal((await cycle(["followslatest", "pinned"])).followslatest!.rewrappedTo, undefined, "nothing new yet");
    const v2 = await keys.rotateKey("rotating");
    await env.emu.admin("POST", "reset");
    const after = await cycle(["followslatest", "pinned"]);
    assert.equal(after.followslatest!.rewrappedTo, v2.id);
    assert.equal(after.followslatest!.wrappedBy, v2.id, "currentKeyIdentifier moved to the new version");
    assert.equal(after.pinned!.wrappedBy, v1.id, "a pinned version is not moved");
    const counters = (
      (await env.emu.admin("GET", "counters")).json as { keyvault: Record<string, Record<string, number>> }
    ).keyvault[demoVaults.compliant.name]!;
    assert.equal(counters.get, 2, "one read per key identifier per cycle (versionless and pinned are two)");
    assert.equal((await cycle(["followslatest"])).followslatest!.rewrappedTo, undefined, "adopted once");
    assert.deepEqual((await transitions("followslatest")).filter((t) => t.reason === "Rewrap").length, 1);

    dropAccountKey(latestId);
    const fresh = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id: latestId } });
    assert.deepEqual(open(await accountKey(fresh), sealed, { scope: latestId, kind: "contentKey", id: "s1" }), secret);
  });

  it("moves to CustomerKeyInaccessible with the matching reason, and back by itself when access returns", async () => {
    const keys = env.emu.keyClient(demoVaults.compliant.name);
    await keys.createRsaKey("revocable", { keySize: 2048 });
    const keyId = `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/revocable`;
    await bind("revoked", demoVaults.compliant.name, keyId);
    const expect = async (state: string, reason: string | null, result: string) => {
      const o = (await cycle(["revoked"])).revoked!;
      assert.deepEqual({ state: o.state, reason: o.reason, result: o.result }, { state, reason, result });
    };
    await expect("Active", null, "active");

    const { version } = (await keys.getKey("revocable")).properties;
    await keys.updateKeyProperties("revocable", version!, { enabled: false });
    await expect("Inaccessible", "KeyDisabled", "inaccessible");
    await assert.rejects(
      switchToSystemKeyFor(owner, ref("revoked")),
      (err: Error & { code?: string }) => err.code === "CustomerKeyInaccessible",
    );
    await keys.updateKeyProperties("revocable", version!, { enabled: true });
    await expect("Active", null, "recovered");

    await (await keys.beginDeleteKey("revocable", { intervalInMs: 10 })).pollUntilDone();
    await expect("Inaccessible", "KeyNotFound", "inaccessible");
    await (await keys.beginRecoverDeletedKey("revocable", { intervalInMs: 10 })).pollUntilDone();
    await expect("Active", null, "recovered");

    await env.emu.revokeKeys(demoVaults.compliant.name, principals.get("revoked")!);
    await expect("Inaccessible", "KeyVaultAccessDenied", "inaccessible");
    await grant(demoVaults.compliant.name, principals.get("revoked")!);
    await expect("Active", null, "recovered");

    assert.deepEqual(
      (await transitions("revoked")).map((t) => t.reason),
      [
        "CustomerKeyConfigured",
        "KeyDisabled",
        "AccessRestored",
        "KeyNotFound",
        "AccessRestored",
        "KeyVaultAccessDenied",
        "AccessRestored",
      ],
    );
  });

  it("sees a deleted vault as VaultNotFound and recovers with the vault; DELETE of the account works meanwhile", async () => {
    const arm = env.emu.arm();
    await arm.vaults.beginCreateOrUpdateAndWait(rg, "monitored-kv", {
      location: "westus2",
      properties: {
        tenantId,
        sku: { family: "A", name: "standard" },
        enablePurgeProtection: true,
        accessPolicies: [{ tenantId, objectId: demoAutomationApp.objectId, permissions: { keys: ["create"] } }],
      },
    });
    await env.emu.keyClient("monitored-kv").createRsaKey("k", { keySize: 2048 });
    await bind("vaultgone", "monitored-kv", `${env.emu.vaultUrl("monitored-kv")}/keys/k`);
    await bind("deleteme", "monitored-kv", `${env.emu.vaultUrl("monitored-kv")}/keys/k`);
    await arm.vaults.delete(rg, "monitored-kv");
    const gone = await cycle(["vaultgone", "deleteme"]);
    assert.deepEqual([gone.vaultgone!.state, gone.vaultgone!.reason], ["Inaccessible", "VaultNotFound"]);
    assert.equal(await deleteAccountFor(owner, ref("deleteme")), true, "DELETE works while inaccessible");
    await arm.vaults.beginCreateOrUpdateAndWait(rg, "monitored-kv", {
      location: "westus2",
      properties: { tenantId, sku: { family: "A", name: "standard" }, createMode: "recover" },
    });
    assert.equal((await cycle(["vaultgone"])).vaultgone!.result, "recovered");
  });

  it("writes the last failure in the check's own statement, keeps it after recovery, and counts every check by result", async () => {
    const keys = env.emu.keyClient(demoVaults.compliant.name);
    await keys.createRsaKey("lastfailure", { keySize: 2048 });
    const id = await bind(
      "lastfail",
      demoVaults.compliant.name,
      `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/lastfailure`,
    );
    const { subscriptionId } = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id } });
    const tally = async () => {
      await flushCheckCounts();
      const rows = await checkCountsSince({
        subscriptionIds: [subscriptionId],
        since: new Date(Date.now() - 7_200_000),
      });
      const sum = (result: string) => rows.filter((r) => r.result === result).reduce((a, r) => a + r.count, 0);
      return { ok: sum("ok"), failed: sum("failed") };
    };
    // Every update of the account's row, logged by a trigger (this test database only): how many
    // statements a check writes to it, whatever Key Vault's budget or other tables cost meanwhile.
    const sql = env.database.db.$executeRawUnsafe.bind(env.database.db);
    await sql(`CREATE TABLE IF NOT EXISTS test_account_writes (id uuid)`);
    await sql(`CREATE OR REPLACE FUNCTION test_log_account_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO test_account_writes VALUES (NEW.id); RETURN NULL; END $$`);
    await sql(`CREATE TRIGGER test_log_account_write AFTER UPDATE ON "MediaAccount"
      FOR EACH ROW EXECUTE FUNCTION test_log_account_write()`);
    const rowWrites = async () =>
      Number(
        (
          await env.database.db.$queryRawUnsafe<{ n: bigint }[]>(
            `SELECT count(*) AS n FROM test_account_writes WHERE id = $1::uuid`,
            id,
          )
        )[0]!.n,
      );
    /** One check under this test's lease: its outcome, its writes of the account's row, and the account after it. */
    const checkOnce = async () => {
      assert.ok(await claimAccount("test", id, 60_000));
      const before = await rowWrites();
      const { result } = await checkAccount(id, "test");
      const writes = (await rowWrites()) - before;
      const a = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id } });
      return { result, writes, a };
    };
    const counted = await tally();

    const active = await checkOnce();
    assert.equal(active.result, "active");
    assert.equal(active.a.lastFailureAt, null, "no failure yet");

    const { version } = (await keys.getKey("lastfailure")).properties;
    await keys.updateKeyProperties("lastfailure", version!, { enabled: false });
    const failed = await checkOnce();
    assert.equal(failed.result, "inaccessible");
    assert.deepEqual([failed.a.lastFailureAt, failed.a.lastFailureReason], [failed.a.lastCheckAt, "KeyDisabled"]);
    // Inaccessible again for the same reason: one write, no transaction, as a check that finds the
    // key active; the last failure rides on the outcome statement.
    const again = await checkOnce();
    assert.equal(again.result, "inaccessible");
    assert.equal(active.writes, 1, "an active check: its outcome statement");
    assert.equal(again.writes, 1, "a failed check: its outcome statement, and nothing more");
    assert.deepEqual(again.a.lastFailureAt, again.a.lastCheckAt);
    assert.ok(again.a.lastFailureAt! > failed.a.lastFailureAt!);

    await keys.updateKeyProperties("lastfailure", version!, { enabled: true });
    assert.equal((await checkOnce()).result, "recovered");
    const steady = await checkOnce();
    assert.equal(steady.result, "active");
    assert.equal(steady.writes, 1);
    assert.deepEqual(
      [steady.a.lastFailureAt, steady.a.lastFailureReason],
      [again.a.lastFailureAt, "KeyDisabled"],
      "the last failure stays after recovery",
    );
    assert.ok(steady.a.lastSuccessAt! > steady.a.lastFailureAt!);

    const now = await tally();
    assert.deepEqual({ ok: now.ok - counted.ok, failed: now.failed - counted.failed }, { ok: 3, failed: 2 });
    await sql(`DROP TRIGGER test_log_account_write ON "MediaAccount"`);
  });

  it("keeps every state through several cycles of injected 429s and 503s, and works afterwards", async () => {
    const keys = env.emu.keyClient(demoVaults.compliant.name);
    await keys.createRsaKey("flaky", { keySize: 2048 });
    await bind("throttled", demoVaults.compliant.name, `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/flaky`);
    // An account already inaccessible must not recover (or change reason) on a transient fault either.
    await env.database.db.mediaAccount.updateMany({
      where: { name: "revoked" },
      data: { keyStatus: "Inaccessible", keyStatusReason: "KeyDisabled" },
    });
    await env.emu.admin("POST", "reset");
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      kind: "status",
      status: 429,
      retryAfterSeconds: 0,
      ratio: 1,
    });
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      operation: "unwrapKey",
      kind: "status",
      status: 503,
    });
    for (let i = 0; i < 3; i++) {
      const o = await cycle(["throttled", "revoked"]);
      assert.deepEqual(
        [o.throttled!.state, o.throttled!.result, o.throttled!.unreachable],
        ["Active", "unreachable", true],
        `cycle ${i}`,
      );
      assert.deepEqual(
        [o.revoked!.state, o.revoked!.reason, o.revoked!.result],
        ["Inaccessible", "KeyDisabled", "unreachable"],
        `cycle ${i}`,
      );
    }
    const throttled = await env.database.db.mediaAccount.findFirstOrThrow({ where: { name: "throttled" } });
    assert.deepEqual(
      [throttled.lastFailureAt, throttled.lastFailureReason],
      [throttled.lastCheckAt, "KeyVaultUnavailable"],
      "an unreachable vault is a failed check too (the state is kept)",
    );
    const hits = ((await env.emu.admin("GET", "faults")).json as { value: { hits: number }[] }).value.map(
      (f) => f.hits,
    );
    assert.ok(hits[0]! >= 6, `the 429s were served (${hits})`);
    await env.emu.admin("DELETE", "faults");
    const healed = await cycle(["throttled", "revoked"]);
    assert.deepEqual(
      [healed.throttled!.state, healed.throttled!.result, healed.throttled!.unreachable],
      ["Active", "active", false],
    );
    assert.deepEqual([healed.revoked!.state, healed.revoked!.result], ["Active", "recovered"]);
  });

  it("judges each account by its own identity's read of a shared key: one identity's 403 does not make another account inaccessible", async () => {
    const vault = demoVaults.compliant.name;
    const keyId = `${env.emu.vaultUrl(vault)}/keys/rsa-2048`;
    const denied = await bind("deniedreader", vault, keyId);
    const allowed = await bind("allowedreader", vault, keyId);
    await env.emu.revokeKeys(vault, principals.get("deniedreader")!);
    const reads: KeyReads = new Map(); // one cycle's batch, the denied account first
    for (const id of [denied, allowed]) assert.ok(await claimAccount("test", id, 60_000));
    const outcomes = [await checkAccount(denied, "test", reads), await checkAccount(allowed, "test", reads)];
    assert.deepEqual(
      outcomes.map((o) => o.result),
      ["inaccessible", "active"],
    );
    await grant(vault, principals.get("deniedreader")!);
  });

  it("checks the rest of a batch when one account is deleted during its check", async () => {
    await bind("vanishing", demoVaults.compliant.name, `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048`);
    await bind("staying", demoVaults.compliant.name, `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048`);
    // Deleted while its check is in flight: after the key read, before the state is written.
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      operation: "unwrapKey",
      kind: "latency",
      latencyMs: 400,
      count: 1,
    });
    const running = cycle(["vanishing", "staying"]);
    await new Promise((r) => setTimeout(r, 200));
    await env.database.db.mediaAccount.deleteMany({ where: { name: "vanishing" } });
    const outcomes = await running;
    assert.equal(outcomes.vanishing, undefined, "gone");
    assert.deepEqual([outcomes.staying!.state, outcomes.staying!.result], ["Active", "active"], "the batch went on");
    await env.emu.admin("DELETE", "faults");
  });

  it("counts the next check from when a check ends, so a slow Key Vault read does not bring the next one closer", async () => {
    const id = await bind(
      "slowread",
      demoVaults.compliant.name,
      `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048`,
    );
    const latencyMs = 800;
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      key: "rsa-2048",
      operation: "get",
      kind: "latency",
      latencyMs,
      count: 1,
    });
    await env.database.db.mediaAccount.update({ where: { id }, data: { nextCheckAt: new Date(0) } });
    assert.ok(await claimAccount("slow-worker", id, 30_000));
    const started = Date.now();
    assert.equal((await checkAccount(id, "slow-worker")).result, "active");
    const { nextCheckAt } = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id } });
    const intervalMs = Number(process.env.MONITOR_INTERVAL_SECONDS) * 1000;
    assert.ok(
      nextCheckAt.getTime() - started >= latencyMs + intervalMs,
      `next check ${nextCheckAt.getTime() - started} ms after the check began; the read alone took ${latencyMs} ms`,
    );
    await env.emu.admin("DELETE", "faults");
  });

  it("lets two workers share the accounts for many cycles: never one account twice at once, never a double re-wrap", async () => {
    const keys = env.emu.keyClient(demoVaults.compliant.name);
    await keys.createRsaKey("shared", { keySize: 2048 });
    const names = Array.from({ length: 12 }, (_, i) => `shared${i}`);
    for (const name of names)
      await bind(name, demoVaults.compliant.name, `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/shared`);
    const events: { id: string; result: string }[] = [];
    const monitors = [0, 1].map(() =>
      startMonitor({ loop: true, onOutcome: (o) => events.push({ id: o.accountId, result: o.result }) }),
    );
    const ids = (
      await env.database.db.mediaAccount.findMany({ where: { name: { in: names } }, select: { id: true } })
    ).map((a) => a.id);
    const ours = () => events.filter((e) => ids.includes(e.id));
    await new Promise((r) => setTimeout(r, 1500));
    await keys.rotateKey("shared");
    // Cycles for a while after the rotation: at least 2.5 s, and until every account was checked three
    // times (bounded: a loaded machine runs fewer cycles in the same time).
    const until = Date.now() + 20_000;
    await new Promise((r) => setTimeout(r, 2500));
    while (ours().length < names.length * 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await Promise.all(monitors.map((m) => m.stop()));
    const checks = ours();
    assert.ok(checks.length >= names.length * 3, `many cycles (${checks.length} checks)`);
    assert.equal(
      checks.filter((e) => e.result === "skipped" || e.result === "error").length,
      0,
      "no check ran without its lease, none failed",
    );
    for (const name of names) {
      assert.equal(
        (await transitions(name)).filter((t) => t.reason === "Rewrap").length,
        1,
        `${name}: exactly one re-wrap`,
      );
    }
    const rewrapAudits = await env.database.db.auditEvent.count({
      where: { action: "encryption.rewrap", accountId: { in: ids } },
    });
    assert.equal(rewrapAudits, names.length);
  });

  /** Accounts each bound to a key of its own (`ownkey-<i>`), so that the emulator's requests tell them apart; made once. */
  let ownKeys: Promise<{ id: string; key: string }[]> | undefined;
  const accountsWithOwnKey = () =>
    (ownKeys ??= accountsWithOwnKeys(env, "ownkey", 8).then((ids) => ids.map((id, i) => ({ id, key: `ownkey-${i}` }))));
  const unwrapsByKey = async () => {
    const { value } = (await env.emu.admin("GET", `requests?target=keyvault&vault=${demoVaults.compliant.name}`))
      .json as { value: { key?: string; operation: string; at: number }[] };
    return value.filter((r) => r.operation === "unwrapKey" && r.key?.startsWith("ownkey-"));
  };

  it("checks a batch's accounts concurrently, up to MONITOR_CONCURRENCY at once, and never one account twice at once across two workers", async () => {
    const accounts = await accountsWithOwnKey();
    const latencyMs = 400;
    await env.emu.admin("POST", "reset");
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      operation: "unwrapKey",
      kind: "latency",
      latencyMs,
    });
    const ids = accounts.map((a) => a.id);
    const results: string[] = [];
    await env.database.db.mediaAccount.updateMany({ where: { id: { in: ids } }, data: { nextCheckAt: new Date(0) } });
    const monitors = [0, 1].map(() =>
      startMonitor({ loop: true, onOutcome: (o) => void (ids.includes(o.accountId) && results.push(o.result)) }),
    );
    const until = Date.now() + 20_000;
    await new Promise((r) => setTimeout(r, 2000));
    while (results.length < ids.length * 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await Promise.all(monitors.map((m) => m.stop()));
    await env.emu.admin("DELETE", "faults");
    assert.ok(results.length >= ids.length * 3, `every account checked several times (${results.length} checks)`);
    assert.deepEqual(new Set(results), new Set(["active"]), "none skipped, none failed");
    const unwraps = await unwrapsByKey();
    for (const { key } of accounts) {
      const at = unwraps.filter((u) => u.key === key).map((u) => u.at);
      // A check of one account lasts at least its unwrap's latency, and the next is due an interval after it ends.
      for (let i = 1; i < at.length; i++)
        assert.ok(at[i]! - at[i - 1]! >= latencyMs, `${key}: two checks ${at[i]! - at[i - 1]!} ms apart`);
    }
    // An unwrap holds its check for the latency: two workers checking one account at a time each
    // would start at most 2 within any latency, and 2 workers of MONITOR_CONCURRENCY 4 at most 8.
    const starts = unwraps.map((u) => u.at).sort((a, b) => a - b);
    const busiest = Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + latencyMs).length));
    assert.ok(busiest > 2 && busiest <= 8, `unwraps started within ${latencyMs} ms: ${busiest}`);
  });

  it("does not let one slow or failing account hold back the rest of its batch", async () => {
    const accounts = await accountsWithOwnKey();
    const slow = accounts[0]!;
    await env.emu.admin("POST", "reset");
    // The slow account's Key Vault answers 500 after a second, every time (retried, then unreachable).
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      key: slow.key,
      kind: "latency",
      latencyMs: 1000,
    });
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      key: slow.key,
      operation: "unwrapKey",
      kind: "status",
      status: 500,
    });
    const order: string[] = [];
    await env.database.db.mediaAccount.updateMany({
      where: { id: { in: accounts.map((a) => a.id) } },
      data: { nextCheckAt: new Date(0) },
    });
    await env.database.db.mediaAccount.update({ where: { id: slow.id }, data: { nextCheckAt: new Date(-1000) } });
    const monitor = startMonitor({
      loop: false,
      onOutcome: (o) => order.push(`${o.accountId === slow.id ? "slow" : "other"}:${o.result}`),
    });
    const outcomes = await monitor.runOnce();
    await env.emu.admin("DELETE", "faults");
    const ours = order.filter((_, i) => accounts.some((a) => a.id === outcomes[i]!.accountId));
    assert.deepEqual(
      ours.slice(0, 7),
      Array(7).fill("other:active"),
      "the others finished first, though the slow one was claimed first",
    );
    assert.equal(ours[7], "slow:unreachable");
  });

  it("stopping mid-batch lets the checks in progress finish and hands back the rest unchecked", async () => {
    const accounts = await accountsWithOwnKey();
    const ids = accounts.map((a) => a.id);
    await env.emu.admin("POST", "reset");
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      operation: "unwrapKey",
      kind: "latency",
      latencyMs: 1000,
    });
    await env.database.db.mediaAccount.updateMany({
      where: { id: { in: ids } },
      data: { nextCheckAt: new Date(0), lastCheckAt: null },
    });
    const checked: string[] = [];
    const monitor = startMonitor({
      loop: true,
      onOutcome: (o) => void (ids.includes(o.accountId) && checked.push(o.result)),
    });
    // Stop once the first checks are in Key Vault (their unwraps answered only after a second).
    const until = Date.now() + 10_000;
    while ((await unwrapsByKey()).length < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await monitor.stop();
    await env.emu.admin("DELETE", "faults");
    assert.deepEqual(checked, Array(4).fill("active"), "the 4 checks in progress (MONITOR_CONCURRENCY) finished");
    const rows = await env.database.db.mediaAccount.findMany({
      where: { id: { in: ids } },
      select: { lastCheckAt: true, leaseOwner: true },
    });
    assert.equal(rows.filter((r) => r.lastCheckAt === null).length, 4, "the rest were not checked");
    assert.ok(
      rows.every((r) => r.leaseOwner === null),
      "and were handed back",
    );
  });

  it("writes nothing when the account changed during its check (switched to the system key), and hands it back", async () => {
    const [id] = await accountsWithOwnKeys(env, "switched", 1);
    const vault = demoVaults.compliant.name;
    const keys = env.emu.keyClient(vault);
    const key = await keys.getKey("switched-0");
    // The check will find the key disabled, after a read slow enough to switch the account meanwhile.
    await keys.updateKeyProperties("switched-0", key.properties.version!, { enabled: false });
    await env.emu.admin("POST", "faults", {
      vault,
      key: "switched-0",
      operation: "get",
      kind: "latency",
      latencyMs: 500,
      count: 1,
    });
    await env.database.db.mediaAccount.update({ where: { id: id! }, data: { nextCheckAt: new Date(0) } });
    assert.ok(await claimAccount("first", id!, 60_000));
    const running = checkAccount(id!, "first");
    await new Promise((r) => setTimeout(r, 250));
    // The owner's switch commits while the check waits on Key Vault (as a switch does, it bumps the version).
    await env.database.db.mediaAccount.update({
      where: { id: id! },
      data: { encryptionType: "SystemKey", keyIdentifier: null, version: { increment: 1 } },
    });
    assert.deepEqual(await running, { accountId: id!, result: "skipped", reason: "AccountChanged" });
    const row = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id: id! } });
    assert.deepEqual(
      [row.encryptionType, row.keyStatus, row.leaseOwner],
      ["SystemKey", "Active", null],
      "the system-key account is not made inaccessible by a verdict on its old key, and its lease is handed back",
    );
    assert.deepEqual(
      (await env.database.db.keyTransition.findMany({ where: { accountId: id! } })).filter(
        (t) => t.toState === "CustomerKeyInaccessible",
      ),
      [],
    );
    await keys.updateKeyProperties("switched-0", key.properties.version!, { enabled: true });
    await env.emu.admin("DELETE", "faults");
  });

  it("Check now waits for a worker's check in progress, then checks the key itself", async () => {
    const [id] = await accountsWithOwnKeys(env, "checknow", 1);
    const keys = env.emu.keyClient(demoVaults.compliant.name);
    const key = await keys.getKey("checknow-0");
    await keys.updateKeyProperties("checknow-0", key.properties.version!, { enabled: false });
    // A worker holds the lease, as one does while it checks with what it read before the key was disabled.
    assert.ok(await claimAccount("busy-worker", id!, 60_000));
    const asked = checkKeyNowFor(owner, ref("checknow0"));
    await new Promise((r) => setTimeout(r, 300));
    await env.database.db.mediaAccount.update({ where: { id: id! }, data: { leaseOwner: null, leaseUntil: null } });
    const answer = await asked;
    assert.deepEqual(
      [answer.keyStatus, answer.keyStatusReason],
      ["Inaccessible", "KeyDisabled"],
      "the answer is the key as it is now, not the state before the worker's check",
    );
    await keys.updateKeyProperties("checknow-0", key.properties.version!, { enabled: true });
  });

  it("writes nothing when the account is no longer leased to the checking worker", async () => {
    const [account] = await accountsWithOwnKey();
    await env.database.db.mediaAccount.update({ where: { id: account!.id }, data: { nextCheckAt: new Date(0) } });
    assert.ok(await claimAccount("first", account!.id, 60_000));
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      key: account!.key,
      operation: "unwrapKey",
      kind: "latency",
      latencyMs: 500,
      count: 1,
    });
    const running = checkAccount(account!.id, "first");
    await new Promise((r) => setTimeout(r, 250));
    // Its lease ended during the check and another worker took the account.
    await env.database.db.mediaAccount.update({ where: { id: account!.id }, data: { leaseOwner: "second" } });
    assert.deepEqual(await running, { accountId: account!.id, result: "skipped", reason: "LeaseLost" });
    const row = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id: account!.id } });
    assert.deepEqual(
      [row.leaseOwner, row.nextCheckAt.getTime()],
      ["second", 0],
      "the second worker's lease and schedule stand",
    );
    await env.database.db.mediaAccount.update({
      where: { id: account!.id },
      data: { leaseOwner: null, leaseUntil: null },
    });
  });
});
