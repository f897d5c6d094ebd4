import pThrottle from "p-throttle";

/**
 * Client-side limit per vault, so a busy monitor or many key deliveries stay inside Key Vault's
 * published service limits (4,000 RSA-2048 operations per vault per 10 s for software keys)
 * instead of being throttled by the service. A strict sliding window: callers queue, none fail.
 */
export function perVaultLimiter(limit: number, intervalMs: number) {
  const windows = new Map<string, <T>(work: () => Promise<T>) => Promise<T>>();
  return function run<T>(vaultUrl: string, work: () => Promise<T>): Promise<T> {
    let window = windows.get(vaultUrl);
    if (!window) {
      const throttled = pThrottle({ limit, interval: intervalMs, strict: true })((job: () => Promise<unknown>) =>
        job(),
      );
      window = <U>(job: () => Promise<U>) => throttled(job) as Promise<U>;
      windows.set(vaultUrl, window);
    }
    return window(work);
  };
}
