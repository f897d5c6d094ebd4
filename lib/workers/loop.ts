import "server-only";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import { logger } from "@/lib/observability/logger";

/** A worker's name in lease rows: host, process and a random suffix, unique per start. */
export const workerName = () => `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;

/**
 * Runs `cycle` until stopped: again at once when it says more work is waiting, otherwise after
 * the wait it names. A failed cycle is logged and retried a second later; stop() wakes a sleeping
 * loop and resolves when the cycle in progress has finished.
 */
export function runLoop(
  label: string,
  cycle: () => Promise<{ more: boolean; waitMs: number }>,
): { stop(): Promise<void> } {
  let running = true;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, ms);
    });
  const loop = (async () => {
    while (running) {
      try {
        const { more, waitMs } = await cycle();
        if (!more) await sleep(waitMs);
      } catch (err) {
        logger(label).error({ err }, "cycle failed");
        await sleep(1000);
      }
    }
  })();
  return {
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
