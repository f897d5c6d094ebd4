/**
 * The streaming origin (lib/media/streaming-origin.ts, what app/streaming/... exports) behind a
 * bare node:http server, in a process of its own, configured by the environment the bench passes.
 * Prints its URL on stdout.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { serveStreaming } from "@/lib/media/streaming-origin";

const server = http.createServer((req, res) => {
  const [, , endpointId, ...segments] = new URL(req.url!, "http://x").pathname.split("/");
  void serveStreaming(
    new Request(`http://127.0.0.1${req.url}`, { headers: req.headers as Record<string, string> }),
    endpointId!,
    segments.map(decodeURIComponent),
  ).then(async (response) => {
    res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()));
  });
});
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
