import "server-only";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { getConfig } from "@/lib/config";
import { scrapeMetrics } from "./metrics";

/** GET /metrics on a node:http server of this process (the key-delivery listener's, a worker's own). */
export async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.method !== "GET") return void res.writeHead(405, { Allow: "GET" }).end();
  const answer = await scrapeMetrics(req.headers.authorization, getConfig().metrics.token);
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** A worker's metrics listener: /metrics only. */
export async function startMetricsServer(options: { host: string; port: number }) {
  const server = http.createServer((req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") return void res.writeHead(404).end();
    serveMetrics(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  return {
    url: `http://${options.host}:${(server.address() as AddressInfo).port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
