import "server-only";
import { timingSafeEqual, createHash } from "node:crypto";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { queueDepth } from "@/lib/media/job-store";
import { cacheSizes } from "./bounded-cache";

/**
 * What an operator scrapes, in Prometheus text format. Each process counts what it did itself
 * (the portal, each worker, the key-delivery listener) and serves its own registry: the portal at
 * /api/metrics, the key-delivery listener at /metrics on its port, a worker at /metrics on
 * WORKER_METRICS_PORT (+ its index). Prometheus sums the counters of the processes it scrapes.
 * The job queue depth is read from the database at each scrape, so every process reports the
 * same figure.
 */
function createMetrics() {
  const registry = new Registry();
  const checks = new Counter({
    name: "byok_monitor_checks_total",
    help: "Customer-key checks by result (active, recovered, inaccessible, unreachable, skipped, error).",
    labelNames: ["result"] as const,
    registers: [registry],
  });
  const transitions = new Counter({
    name: "byok_key_state_transitions_total",
    help: "Key state transitions recorded by the monitor, by state before and after.",
    labelNames: ["from", "to"] as const,
    registers: [registry],
  });
  const detectionLatency = new Histogram({
    name: "byok_detection_latency_seconds",
    help: "From the moment an account was due for a check (a Key Vault event marks it due on arrival) to its committed state transition.",
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const keyVaultRequests = new Counter({
    name: "byok_keyvault_requests_total",
    help: "HTTP requests sent to Key Vault (retries and challenges included), by vault host and status class.",
    labelNames: ["vault", "status"] as const,
    registers: [registry],
  });
  const keyVaultThrottled = new Counter({
    name: "byok_keyvault_throttled_total",
    help: "Key Vault answers 429 (throttled), by vault host.",
    labelNames: ["vault"] as const,
    registers: [registry],
  });
  const keyDeliveries = new Counter({
    name: "byok_key_delivery_requests_total",
    help: "Key-delivery requests by outcome: Delivered, or the refusal's error code, or InternalError.",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "byok_job_queue_depth",
    help: "Encoding jobs waiting or running, by state (read from the database at scrape time).",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const depth = await queueDepth();
      for (const [state, count] of Object.entries(depth)) this.set({ state }, count);
    },
  });
  new Gauge({
    name: "byok_cache_entries",
    help: "Entries of each bounded in-process cache (clients, credentials, budgets), each an LRU of a fixed size.",
    labelNames: ["cache"] as const,
    registers: [registry],
    collect() {
      for (const [cache, { size }] of Object.entries(cacheSizes())) this.set({ cache }, size);
    },
  });
  return { registry, checks, transitions, detectionLatency, keyVaultRequests, keyVaultThrottled, keyDeliveries };
}

// One registry per process, kept on globalThis: Next may load this module in more than one bundle.
const holder = globalThis as unknown as { __byokMetrics?: ReturnType<typeof createMetrics> };

export function metrics(): ReturnType<typeof createMetrics> {
  holder.__byokMetrics ??= createMetrics();
  return holder.__byokMetrics;
}

/** Compares in constant time (over digests, so the length of the token does not show either). */
function tokenMatches(presented: string, expected: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

export interface MetricsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A scrape: the registry's text with `Authorization: Bearer <METRICS_TOKEN>`; 401 without it or
 * with another token; 404 when no METRICS_TOKEN is configured (the endpoint is off).
 */
export async function scrapeMetrics(
  authorization: string | null | undefined,
  token: string | null,
): Promise<MetricsAnswer> {
  const noStore = { "Cache-Control": "no-store" };
  if (!token) return { status: 404, headers: noStore, body: "" };
  const presented = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim();
  if (!presented || !tokenMatches(presented, token)) {
    return { status: 401, headers: { ...noStore, "WWW-Authenticate": 'Bearer realm="metrics"' }, body: "" };
  }
  const { registry } = metrics();
  return { status: 200, headers: { ...noStore, "Content-Type": registry.contentType }, body: await registry.metrics() };
}
