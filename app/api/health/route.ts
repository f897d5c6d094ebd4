import { checkHealth } from "@/lib/health/check";

export const dynamic = "force-dynamic";

/** Liveness and dependencies, for load balancers, `npm start` and Playwright's webServer. */
export async function GET() {
  const report = await checkHealth();
  return Response.json(report, {
    status: report.status === "ok" ? 200 : 503,
    headers: { "Cache-Control": "no-store" },
  });
}
