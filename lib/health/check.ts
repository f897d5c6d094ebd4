import "server-only";
import { db } from "@/lib/db/client";

export interface HealthReport {
  status: "ok" | "degraded";
  checks: Record<string, { ok: boolean; latencyMs: number; error?: string }>;
}

async function timed(probe: () => Promise<unknown>) {
  const started = performance.now();
  try {
    await probe();
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (err) {
    // The error class only: a driver message can carry a connection string.
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (err as Error).name };
  }
}

export async function checkHealth(): Promise<HealthReport> {
  const checks = { database: await timed(() => db().$queryRaw`SELECT 1`) };
  return { status: Object.values(checks).every((c) => c.ok) ? "ok" : "degraded", checks };
}
