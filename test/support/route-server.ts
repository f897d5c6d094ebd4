/**
 * Serves App Router route handlers (Web Request → Response) behind node:http on loopback, as
 * `next start` would, for tests and benches that need a real URL (an emulator delivering to it).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export type RouteHandler = (request: Request) => Promise<Response>;

export async function serveRoutes(
  handlers: Record<string, RouteHandler>,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const handler = handlers[req.method ?? ""];
    if (!handler) return res.writeHead(405).end();
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    try {
      const response = await handler(
        new Request(`http://${req.headers.host ?? "127.0.0.1"}${req.url}`, {
          method: req.method,
          headers,
          body: body && new Uint8Array(body),
        }),
      );
      res
        .writeHead(response.status, Object.fromEntries(response.headers))
        .end(Buffer.from(await response.arrayBuffer()));
    } catch (err) {
      console.error("[route-server]", err);
      res.writeHead(500).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
