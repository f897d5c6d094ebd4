/**
 * Unwrapped account keys in memory: a short TTL and a size bound, least recently used out first.
 * Keys are zeroed when they leave. The cache is always subordinate to the account's state: an
 * account that stops being usable is dropped at once (see drop), and nothing here is persisted.
 */
export class AccountKeyCache {
  private readonly entries = new Map<string, { key: Buffer; wrappedBy: string; expires: number }>();
  /** The unwraps in flight, one per account. */
  private readonly loading = new Map<string, { wrappedBy: string; key: Promise<Buffer> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A copy of the key, if cached, unexpired, and still wrapped by `wrappedBy` (a re-wrap elsewhere
   * makes it stale). A copy, so that no caller holds a buffer that the cache zeroes later.
   */
  get(accountId: string, wrappedBy: string): Buffer | undefined {
    const entry = this.entries.get(accountId);
    if (!entry) return undefined;
    if (entry.expires <= this.now() || entry.wrappedBy !== wrappedBy) {
      this.drop(accountId);
      return undefined;
    }
    this.entries.delete(accountId);
    this.entries.set(accountId, entry); // most recently used last
    return Buffer.from(entry.key);
  }

  /**
   * The key from the cache, or from `load` (an unwrap) once for all who ask meanwhile (single
   * flight): a flood on a cold cache costs Key Vault one unwrap per account, not one per request.
   * A load that was dropped (or overtaken by a re-wrap) while in flight is not cached.
   */
  async getOrLoad(accountId: string, wrappedBy: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const cached = this.get(accountId, wrappedBy);
    if (cached) return cached;
    let flight = this.loading.get(accountId);
    if (flight?.wrappedBy !== wrappedBy) {
      const started = { wrappedBy, key: load() };
      flight = started;
      this.loading.set(accountId, started);
      const current = () => this.loading.get(accountId) === started;
      started.key
        .then(
          (key) => {
            if (current()) this.set(accountId, wrappedBy, key);
          },
          () => undefined, // each caller gets the failure from its own await
        )
        .finally(() => {
          if (current()) this.loading.delete(accountId);
        });
    }
    return Buffer.from(await flight.key);
  }

  set(accountId: string, wrappedBy: string, key: Buffer): void {
    if (this.ttlMs <= 0) return;
    this.drop(accountId);
    this.entries.set(accountId, { key: Buffer.from(key), wrappedBy, expires: this.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) this.drop(this.entries.keys().next().value!);
  }

  /** Forgets one account's key, or (null) every key. */
  drop(accountId: string | null): void {
    if (accountId === null) {
      for (const id of [...this.entries.keys()]) this.drop(id);
      this.loading.clear();
      return;
    }
    this.loading.delete(accountId);
    const entry = this.entries.get(accountId);
    if (!entry) return;
    entry.key.fill(0);
    this.entries.delete(accountId);
  }

  get size(): number {
    return this.entries.size;
  }
}
