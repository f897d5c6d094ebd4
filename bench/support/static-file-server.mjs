// The baseline: a bare node:http server reading each requested file from one folder, in a process of its own.
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";

const root = process.argv[2];
const server = http.createServer(async (req, res) => {
  try {
    const body = await readFile(path.join(root, path.basename(req.url)));
    res.writeHead(200, { "content-type": "video/mp2t", "content-length": body.length }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
server.listen(0, "127.0.0.1", () => console.log(`http://127.0.0.1:${server.address().port}`));
