import { getConfig } from "@/lib/config";
import { scrapeMetrics } from "@/lib/observability/metrics";

export const dynamic = "force-dynamic";

/** Prometheus scrape of this portal process; `Authorization: Bearer <METRICS_TOKEN>` (lib/observability/metrics.ts). */
export async function GET(request: Request) {
  const answer = await scrapeMetrics(request.headers.get("authorization"), getConfig().metrics.token);
  return new Response(answer.body || null, { status: answer.status, headers: answer.headers });
}
