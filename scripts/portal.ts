/**
 * The portal's production server, as `npm start` runs it: Next's request handler on a node:http
 * server of our own, so that SIGTERM drains. `next start` exits on SIGTERM as soon as Next has
 * cleaned up, cutting requests in flight; here the server stops accepting connections, closes the
 * idle ones, lets the requests in flight finish (for up to DRAIN_MS), and only then exits.
 *
 *   node --import tsx scripts/portal.ts --hostname 127.0.0.1 --port 3000
 */
import http from "node:http";
import { parseArgs } from "node:util";
import next from "next";
import { logger } from "@/lib/observability/logger";

const DRAIN_MS = 10_000;
const log = logger("portal");

const { values } = parseArgs({ options: { hostname: { type: "string" }, port: { type: "string" } } });
const hostname = values.hostname ?? "127.0.0.1";
const port = Number(values.port ?? 3000);

const app = next({ dev: false, hostname, port, dir: process.cwd() });
await app.prepare();
const handle = app.getRequestHandler();
let inFlight = 0;
let draining = false;
const server = http.createServer((req, res) => {
  inFlight++;
  res.once("close", () => {
    inFlight--;
    // A keep-alive connection that just finished its last request would otherwise hold the drain.
    if (draining) server.closeIdleConnections();
  });
  void handle(req, res);
});
server.listen(port, hostname, () => log.info({ url: `http://${hostname}:${port}` }, "portal listening"));

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log.info({ signal, inFlight }, "draining requests in flight");
    draining = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, DRAIN_MS).unref());
    void Promise.race([closed, deadline]).then(async () => {
      server.closeAllConnections();
      // The checks this portal ran (Check now, Key Vault events) and has not written to the dashboard's
      // counts yet: the tally lives in Next's copy of lib/monitor/check-counts.ts, reached through its global.
      const checkCounts = (globalThis as { byokCheckCounts?: { flush?: () => Promise<number> } }).byokCheckCounts;
      await checkCounts?.flush?.().catch((err: unknown) => log.warn({ err }, "check counts not written"));
      await app.close();
      process.exit(0);
    });
  });
}
