/**
 * Key Vault's budget, shared through the database: grants never exceed the limit in a window
 * whoever asks, a 429 holds every caller, and every HTTP request the SDK sends is counted.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { getConfig } from "@/lib/config";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { backOff, takeBudget } from "./budget-store";
import { getKey, wrapKey } from "./keys";

let env: AppEnvironment;
before(async () => {
  env = await startAppEnvironment();
});
after(async () => env?.dispose());

const vaultCounters = async (vault: string) =>
  ((await env.emu.admin("GET", "counters")).json as { keyvault?: Record<string, Record<string, number>> }).keyvault?.[
    vault
  ] ?? {};
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

describe("the shared budget", () => {
  it("grants exactly the limit in a window to concurrent askers, then says how long to wait", async () => {
    const vault = `budget-${randomUUID()}.vault.localhost`;
    // Six askers, as six processes would be (each process has one request in flight per vault),
    // each asking again while it gets something.
    const asker = async () => {
      let got = 0;
      for (let granted = 1; granted > 0; got += granted)
        ({ granted } = await takeBudget({ vault, want: 3, limit: 20, windowMs: 5000 }));
      return got;
    };
    const got = await Promise.all(Array.from({ length: 6 }, asker));
    assert.equal(
      got.reduce((a, b) => a + b, 0),
      20,
    );
    const refused = await takeBudget({ vault, want: 1, limit: 20, windowMs: 5000 });
    assert.equal(refused.granted, 0);
    assert.ok(refused.waitMs > 0 && refused.waitMs <= 5000, `waits for the oldest grant to age out: ${refused.waitMs}`);
  });

  it("grants nothing to anyone while the vault backs off after a 429", async () => {
    const vault = `budget-${randomUUID()}.vault.localhost`;
    await backOff(vault, 2000);
    await backOff(vault, 500); // a shorter Retry-After never shortens the hold
    const answer = await takeBudget({ vault, want: 1, limit: 100, windowMs: 5000 });
    assert.equal(answer.granted, 0);
    assert.ok(answer.waitMs > 1000 && answer.waitMs <= 2000, `waits out the Retry-After: ${answer.waitMs}`);
  });
});

describe("Key Vault calls through the budget", () => {
  it("take one unit for every HTTP request, the challenge handshake included", async () => {
    const { keyId, identityClientId } = getConfig().systemKey;
    const key = keyIdentifierOf(keyId);
    const vault = new URL(key.vaultUrl).hostname.split(".")[0]!;
    const before = sum(await vaultCounters(vault));
    const { id } = await getKey(identityClientId, key);
    await wrapKey(identityClientId, id, randomBytes(32));
    const sent = sum(await vaultCounters(vault)) - before;
    const { db } = await import("@/lib/db/client");
    const [row] = await db().$queryRaw<{ granted: number }[]>`
      SELECT coalesce(sum(count), 0)::int AS granted FROM "KeyVaultBudgetGrant" WHERE vault = ${new URL(key.vaultUrl).hostname}`;
    assert.ok(sent >= 2, `requests reached Key Vault: ${sent}`);
    assert.ok(row!.granted >= sent, `every request took budget: ${row!.granted} granted for ${sent} sent`);
  });

  it("hold every request to a vault for the Retry-After of a 429", async () => {
    const { keyId, identityClientId } = getConfig().systemKey;
    const key = keyIdentifierOf(keyId);
    const vault = new URL(key.vaultUrl).hostname.split(".")[0]!;
    await env.emu.admin("POST", "faults", {
      target: "keyvault",
      vault,
      operation: "get",
      kind: "status",
      status: 429,
      retryAfterSeconds: 2,
      count: 1,
    });
    try {
      const started = performance.now();
      await getKey(identityClientId, key); // 429, then the SDK's retry, which the backoff holds
      const { db } = await import("@/lib/db/client");
      const rows = await db().keyVaultBackoff.findMany({ where: { vault: new URL(key.vaultUrl).hostname } });
      assert.equal(rows.length, 1, "the 429 is shared through the database");
      assert.ok(performance.now() - started >= 1900, "the retry waited out the Retry-After");
    } finally {
      await env.emu.admin("DELETE", "faults");
    }
  });
});
