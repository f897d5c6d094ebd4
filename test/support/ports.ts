import net from "node:net";

/**
 * A free port below the kernel's ephemeral range (32768+ on Linux). A port found by binding 0
 * and releasing it can be handed to another test file's port-0 server before the launcher binds
 * it; ports from this range are never handed out that way. Nothing listens on it when it is
 * returned, so it also stands for a closed endpoint.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 20_000);
    const server = net.createServer();
    const free = await new Promise<boolean>((resolve) => {
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (free) {
      await new Promise((r) => server.close(r));
      return port;
    }
  }
}
