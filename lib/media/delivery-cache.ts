/**
 * What key delivery reads of an account, per content key id, kept in memory between requests:
 * dropped per account when it changes (lib/db/account-changes.ts), wholly when a change may have
 * been missed. A read that raced a change is not kept: `stamp()` before the read, `set` after, and
 * the set is ignored if anything was dropped meanwhile.
 */
export class DeliveryCache<T> {
  private readonly accounts = new Map<string, Map<string, T>>();
  private size = 0;
  private drops = 0;

  constructor(private readonly maxEntries: number) {}

  get(accountId: string, kid: string): T | undefined {
    return this.accounts.get(accountId)?.get(kid);
  }

  stamp(): number {
    return this.drops;
  }

  set(accountId: string, kid: string, value: T, stamp: number): void {
    if (stamp !== this.drops || this.maxEntries <= 0) return;
    let keys = this.accounts.get(accountId);
    if (!keys) this.accounts.set(accountId, (keys = new Map()));
    if (!keys.has(kid)) this.size++;
    keys.set(kid, value);
    // Oldest accounts out first: a flood of key ids bounds memory, never correctness.
    while (this.size > this.maxEntries) this.forget(this.accounts.keys().next().value!);
  }

  /** Forgets one account, or (null) every account. */
  drop(accountId: string | null): void {
    this.drops++;
    if (accountId === null) {
      this.accounts.clear();
      this.size = 0;
    } else this.forget(accountId);
  }

  get entries(): number {
    return this.size;
  }

  private forget(accountId: string): void {
    this.size -= this.accounts.get(accountId)?.size ?? 0;
    this.accounts.delete(accountId);
  }
}
