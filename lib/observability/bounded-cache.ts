/**
 * Maps kept per identity, per vault or per account grow with the number of accounts unless
 * bounded: every such cache is an LRU of a fixed size (lru-cache), least recently used out first,
 * registered here by name so that its size is a metric (`byok_cache_entries`) and a test can
 * hold the bound. What leaves is only recreated on next use (a client, a credential, a budget).
 */
import { LRUCache } from "lru-cache";

interface Sized {
  readonly size: number;
  readonly max: number;
}

const holder = globalThis as unknown as { __byokCaches?: Map<string, Sized> };
const registry = () => (holder.__byokCaches ??= new Map());

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- lru-cache's own bound on keys and values
export function boundedCache<K extends {}, V extends {}>(name: string, max: number): LRUCache<K, V> {
  const cache = new LRUCache<K, V>({ max });
  registry().set(name, cache);
  return cache;
}

/** Each registered cache's entries and bound, by name. */
export function cacheSizes(): Record<string, { size: number; max: number }> {
  return Object.fromEntries([...registry()].map(([name, c]) => [name, { size: c.size, max: c.max }]));
}
