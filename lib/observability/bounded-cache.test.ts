/**
 * Caches kept per identity or per vault stay within their bound however many identities pass
 * through them (100,000 accounts each with an identity of its own must not mean 100,000 credentials;
 * the managed identity caches at a bound of 1: lib/azure/managed-identities.test.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { boundedCache, cacheSizes } from "./bounded-cache";

describe("bounded caches", () => {
  it("every registered cache reports its size and bound", () => {
    const cache = boundedCache<string, number>("test-cache", 3);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    assert.deepEqual(cacheSizes()["test-cache"], { size: 3, max: 3 });
    assert.deepEqual([...cache.keys()].sort(), ["k7", "k8", "k9"]);
  });
});
