import "server-only";
import { httpsRequest } from "@/lib/azure/https-request";
import { azureAgent } from "@/lib/azure/transport";
import { getConfig } from "@/lib/config";
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

async function emulatorHealthy(url: string): Promise<void> {
  const { status } = await httpsRequest(url, { agent: azureAgent(), timeoutMs: 2000 });
  if (status !== 200) throw new Error(`HTTP ${status}`);
}

export async function checkHealth(): Promise<HealthReport> {
  const config = getConfig();
  const checks: HealthReport["checks"] = { database: await timed(() => db().$queryRaw`SELECT 1`) };
  if (config.emulator)
    checks.emulator = await timed(() => emulatorHealthy(`${config.endpoints.armEndpoint}/_emulator/health`));
  return { status: Object.values(checks).every((c) => c.ok) ? "ok" : "degraded", checks };
}
