import "server-only";
import https from "node:https";
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

function emulatorHealthy(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { agent: azureAgent(), timeout: 2000 }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else reject(new Error(`HTTP ${res.statusCode}`));
      })
      .on("timeout", function (this: { destroy(e: Error): void }) {
        this.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" }));
      })
      .on("error", reject);
  });
}

export async function checkHealth(): Promise<HealthReport> {
  const config = getConfig();
  const checks: HealthReport["checks"] = { database: await timed(() => db().$queryRaw`SELECT 1`) };
  if (config.emulator) checks.emulator = await timed(() => emulatorHealthy(`${config.endpoints.armEndpoint}/_emulator/health`));
  return { status: Object.values(checks).every((c) => c.ok) ? "ok" : "degraded", checks };
}
