/**
 * The embedded default database: PGlite (PostgreSQL compiled to WebAssembly) served over the
 * Postgres wire protocol on loopback, so the portal, the worker and the tests all connect with
 * the same `pg` driver and Prisma adapter they would use against a PostgreSQL server.
 *
 * PGlite is a single backend: the socket server queues queries from every connection and keeps
 * an open transaction's connection exclusive until it ends, so several processes may share it.
 */
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(options: {
  /** Folder holding the data; omitted means in memory (tests). */
  dataDir?: string;
  /** 0 picks a free port. */
  port: number;
  /** Connections from every process together (pools of portal, worker, launcher, tests). */
  maxConnections?: number;
}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir);
  const server = new PGLiteSocketServer({
    db,
    host: "127.0.0.1",
    port: options.port,
    maxConnections: options.maxConnections ?? 64,
  });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  return {
    url: `postgresql://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
