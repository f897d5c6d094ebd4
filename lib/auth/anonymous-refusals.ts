import "server-only";
import { auditAll } from "@/lib/audit";
import { logger } from "@/lib/observability/logger";

/**
 * Refused anonymous requests (no token, or one that does not verify) are counted in memory per
 * source and written as one audit event per source per minute: a flood of them must not become
 * a flood of rows, each carrying a path of the attacker's choosing.
 *
 * The source is the address Next.js gives a route handler in X-Forwarded-For: the socket's
 * address, or (Next.js keeps a header the caller sent) whatever the caller claims. So a source is
 * a hint, not a proof; what bounds the writes is the bound on sources: the first MAX_SOURCES of a
 * minute get an event each, all others share one.
 */
const WINDOW_MS = 60_000;
export const MAX_SOURCES = 1000;
const OTHER_SOURCES = "(other sources)";
const MAX_SAMPLE_PATHS = 5;
const MAX_PATH_CHARS = 200;

interface Tally {
  count: number;
  reasons: Map<string, number>;
  paths: Set<string>;
}

let tallies = new Map<string, Tally>();
let timer: ReturnType<typeof setInterval> | undefined;

export function sourceOf(request: Request): string {
  return request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim() || "unknown";
}

/** Counts one refused anonymous request; written at the end of the current minute. */
export function countAnonymousRefusal(source: string, refusal: { path: string; reason: string }): void {
  const key = tallies.has(source) || tallies.size < MAX_SOURCES ? source : OTHER_SOURCES;
  let tally = tallies.get(key);
  if (!tally) tallies.set(key, (tally = { count: 0, reasons: new Map(), paths: new Set() }));
  tally.count++;
  // Reasons are the API's own error codes: a handful.
  tally.reasons.set(refusal.reason, (tally.reasons.get(refusal.reason) ?? 0) + 1);
  if (tally.paths.size < MAX_SAMPLE_PATHS) tally.paths.add(refusal.path.slice(0, MAX_PATH_CHARS));
  timer ??= setInterval(
    () =>
      void flushAnonymousRefusals().catch((err: Error) =>
        logger("audit").error({ err }, "anonymous refusals not written"),
      ),
    WINDOW_MS,
  ).unref();
}

/** Writes one event per source counted since the last flush (the timer calls it each minute); returns how many. */
export async function flushAnonymousRefusals(): Promise<number> {
  const ended = tallies;
  tallies = new Map();
  await auditAll(
    [...ended].map(([source, tally]) => ({
      actor: "anonymous",
      action: "api.anonymousRefused",
      outcome: "denied" as const,
      detail: {
        source,
        count: tally.count,
        reasons: [...tally.reasons].map(([reason, n]) => `${reason}: ${n}`),
        samplePaths: [...tally.paths],
      },
    })),
  );
  return ended.size;
}
