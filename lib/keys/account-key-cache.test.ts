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
});
