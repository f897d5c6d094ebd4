import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AccountKeyCache } from "./account-key-cache";

describe("AccountKeyCache", () => {
  it("serves copies of a key until its TTL, then forgets it", () => {
    let now = 0;
    const cache = new AccountKeyCache(1000, 10, () => now);
    const key = Buffer.alloc(32, 7);
    cache.set("a", "kid1", key);
    key.fill(0);
    assert.deepEqual(cache.get("a", "kid1"), Buffer.alloc(32, 7), "holds its own copy of what it was given");
    cache.get("a", "kid1")!.fill(9);
    assert.deepEqual(cache.get("a", "kid1"), Buffer.alloc(32, 7), "hands out copies");
    now = 999;
    const held = cache.get("a", "kid1")!;
    now = 1000;
    assert.equal(cache.get("a", "kid1"), undefined);
    assert.deepEqual(held, Buffer.alloc(32, 7), "a caller's copy is not zeroed under it");
  });

  it("treats a key wrapped by another root as stale", () => {
    const cache = new AccountKeyCache(1000, 10);
    cache.set("a", "kid1", Buffer.alloc(32, 1));
    assert.equal(cache.get("a", "kid2"), undefined);
    assert.equal(cache.size, 0);
  });

  it("keeps at most maxEntries, evicting the least recently used", () => {
    const cache = new AccountKeyCache(10_000, 2);
    cache.set("a", "k", Buffer.alloc(32, 1));
    cache.set("b", "k", Buffer.alloc(32, 2));
    cache.get("a", "k");
    cache.set("c", "k", Buffer.alloc(32, 3));
    assert.ok(cache.get("a", "k"));
    assert.equal(cache.get("b", "k"), undefined);
    assert.ok(cache.get("c", "k"));
  });

  it("drops at once, and caches nothing with a zero TTL", () => {
    const cache = new AccountKeyCache(10_000, 2);
    cache.set("a", "k", Buffer.alloc(32, 1));
    cache.drop("a");
    assert.equal(cache.get("a", "k"), undefined);
    const off = new AccountKeyCache(0, 2);
    off.set("a", "k", Buffer.alloc(32, 1));
    assert.equal(off.size, 0);
  });

  it("loads a missing key once for all who ask meanwhile, each getting its own copy; a failure is not remembered", async () => {
    const cache = new AccountKeyCache(10_000, 10);
    let loads = 0;
    const slowLoad = async () => {
      loads++;
      await new Promise((r) => setTimeout(r, 20));
      return Buffer.alloc(32, 5);
    };
    const keys = await Promise.all(Array.from({ length: 10 }, () => cache.getOrLoad("a", "k", slowLoad)));
    assert.equal(loads, 1);
    keys[0]!.fill(0);
    assert.deepEqual(keys[1], Buffer.alloc(32, 5), "copies");
    assert.deepEqual(await cache.getOrLoad("a", "k", slowLoad), Buffer.alloc(32, 5));
    assert.equal(loads, 1, "then served from the cache");

    const failing = async () => {
      loads++;
      throw new Error("Key Vault said no");
    };
    await Promise.all([1, 2].map(() => assert.rejects(cache.getOrLoad("b", "k", failing), /said no/)));
    assert.equal(loads, 2, "one load for both");
    await assert.rejects(cache.getOrLoad("b", "k", failing), /said no/);
    assert.equal(loads, 3, "a failed load is tried again by the next caller");
  });

  it("does not cache a load that was dropped or overtaken by a re-wrap while in flight", async () => {
    const cache = new AccountKeyCache(10_000, 10);
    const load =
      (fill: number, ms = 10) =>
      async () => {
        await new Promise((r) => setTimeout(r, ms));
        return Buffer.alloc(32, fill);
      };
    const dropped = cache.getOrLoad("a", "k", load(1));
    cache.drop("a"); // the account stopped being usable
    assert.deepEqual(await dropped, Buffer.alloc(32, 1), "who asked before still gets it");
    assert.equal(cache.get("a", "k"), undefined);

    const old = cache.getOrLoad("a", "k1", load(1, 30)); // ends last
    const rewrapped = cache.getOrLoad("a", "k2", load(2));
    await Promise.all([old, rewrapped]);
    assert.deepEqual(
      cache.get("a", "k2"),
      Buffer.alloc(32, 2),
      "the old root's late answer did not replace the new one",
    );
  });
});
