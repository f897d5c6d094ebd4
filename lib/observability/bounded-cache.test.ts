/**
 * Caches kept per identity or per vault stay within their bound however many identities pass
 * through them (100,000 accounts each with an identity of its own must not mean 100,000 credentials).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { managedIdentityCredential } from "@/lib/azure/managed-identities";
import { boundedCache, cacheSizes } from "./bounded-cache";

// The bound is a setting (read at the cache's first use): a smaller one than the default holds too.
const MAX_CACHED_CREDENTIALS = 1000;
process.env.IDENTITY_CACHE_ENTRIES = String(MAX_CACHED_CREDENTIALS);

describe("bounded caches", () => {
  it("managed identity credentials: more identities than the bound (IDENTITY_CACHE_ENTRIES) leave the cache at the bound, least recently used out", () => {
    const ids = Array.from({ length: MAX_CACHED_CREDENTIALS + 500 }, () => randomUUID());
    const first = managedIdentityCredential(ids[0]!);
    const kept = managedIdentityCredential(ids[1]!);
    for (const id of ids.slice(2)) {
      managedIdentityCredential(id);
      if (id === ids[MAX_CACHED_CREDENTIALS / 2]) managedIdentityCredential(ids[1]!); // used again: stays
    }
    assert.deepEqual(cacheSizes()["managed-identity-credentials"], {
      size: MAX_CACHED_CREDENTIALS,
      max: MAX_CACHED_CREDENTIALS,
    });
    assert.equal(managedIdentityCredential(ids[1]!), kept, "a recently used identity keeps its credential");
    assert.notEqual(managedIdentityCredential(ids[0]!), first, "the least recently used one was let go");
    assert.equal(managedIdentityCredential(ids.at(-1)!), managedIdentityCredential(ids.at(-1)!));
  });

  it("every registered cache reports its size and bound", () => {
    const cache = boundedCache<string, number>("test-cache", 3);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i);
    assert.deepEqual(cacheSizes()["test-cache"], { size: 3, max: 3 });
    assert.deepEqual([...cache.keys()].sort(), ["k7", "k8", "k9"]);
  });
});
