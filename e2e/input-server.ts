/**
 * A loopback web server for job inputs and players: `/media/input.mp4` only with the right SAS
 * query string, `/media/endless.mp4` that never finishes (for cancel), `/media/slow.mp4` and
 * `/media/slow-unknown.mp4` that take 12 s (with and without a content-length), and an empty
 * `/player.html` page on its own origin.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export async function startInputServer(input: { sas: string; body: Buffer }) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    if (url.pathname === "/player.html")
      res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>player</title>");
    else if (url.pathname === "/media/input.mp4" && url.search === `?${input.sas}`)
      res.writeHead(200, { "content-length": input.body.length }).end(input.body);
    else if (url.pathname === "/media/endless.mp4") res.writeHead(200, { "content-length": 1_000_000 }).write("x");
    else if (url.pathname === "/media/slow.mp4" || url.pathname === "/media/slow-unknown.mp4") {
      // 16 KiB every 600 ms for 12 s: a download whose progress a page can watch move, with or
      // without a content-length (without one, Node sends it chunked).
      const chunks = 20;
      const chunk = Buffer.alloc(16_384, 1);
      res.writeHead(200, url.pathname === "/media/slow.mp4" ? { "content-length": chunks * chunk.length } : {});
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        res.write(chunk);
        if (++sent === chunks) {
          clearInterval(timer);
          res.end();
        }
      }, 600);
    } else res.writeHead(403).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
