import "server-only";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { getConfig } from "@/lib/config";
import { resolveClientAddress } from "@/lib/net/client-address";
import { corsHeaders, deliverKey } from "./key-delivery";
import { logger } from "@/lib/observability/logger";
import { serveMetrics } from "@/lib/observability/metrics-server";

const trustedProxies = () => getConfig().trustedProxies;

/**
 * Key delivery on a listener of its own (Azure gives key delivery its own host name): a bare
 * node:http server in front of the same lib/media/key-delivery.ts that the Next.js route
 * `/keydelivery/{mediaServiceId}` serves, without the framework's per-request work. Its own
 * counters are at /metrics (METRICS_TOKEN), as this process is not the portal's.
 */
export interface KeyDeliveryListener {
  url: string;
  close(): Promise<void>;
}

const PATH = /^\/keydelivery\/([^/?]+)(?:\?|$)/;

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if ((req.url ?? "").split("?")[0] === "/metrics") return serveMetrics(req, res);
  const match = PATH.exec(req.url ?? "");
  if (!match) return void res.writeHead(404, corsHeaders).end();
  if (req.method === "OPTIONS") return void res.writeHead(204, corsHeaders).end();
  if (req.method !== "GET" && req.method !== "POST") return void res.writeHead(405, corsHeaders).end();
  const query = new URLSearchParams(req.url!.slice(req.url!.indexOf("?") + 1 || req.url!.length));
  const answer = await deliverKey({
    authorization: req.headers.authorization,
    mediaServiceId: match[1]!,
    kid: query.get("kid"),
    clientAddress: resolveClientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trustedProxies()),
  });
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

export async function startKeyDeliveryListener(options: { host: string; port: number }): Promise<KeyDeliveryListener> {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      logger("key-delivery").error({ method: req.method, path: req.url?.split("?")[0], err }, "request failed");
      if (!res.headersSent) res.writeHead(500, corsHeaders);
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
