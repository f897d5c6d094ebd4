/**
 * The embedded default database: PGlite (PostgreSQL compiled to WebAssembly) served over the
 * Postgres wire protocol on loopback, so the portal, the worker and the tests all connect with
 * the same `pg` driver and Prisma adapter they would use against a PostgreSQL server.
 *
 * PGlite is one backend session shared by every connection. pglite-socket's own server queues
 * protocol *messages* from all connections in arrival order, so one connection's Parse/Bind/
 * Execute/Sync sequence could interleave with another's ("unnamed prepared statement does not
 * exist"). This server uses pglite-socket's connection handler with a queue that gives one
 * connection the database from its first message until its sequence ends (Sync or a simple
 * Query) outside a transaction, or until its transaction ends.
 */
import net from "node:net";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketHandler } from "@electric-sql/pglite-socket";

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

const SYNC = 0x53; // 'S'
const QUERY = 0x51; // 'Q'
const TERMINATE = 0x58; // 'X'
const PROTOCOL_3 = 196608;

const isStartup = (message: Uint8Array) =>
  message.length >= 8 && new DataView(message.buffer, message.byteOffset).getInt32(4) === PROTOCOL_3;

/**
 * The queue interface pglite-socket's handler calls, with sequences kept whole per connection.
 *
 * A connection that closes while its messages wait (a killed process, a dropped client) must not
 * take the database when they wake: a message of a sequence that can never end would hold it
 * forever, and every other connection of every process would wait behind it.
 */
class ConnectionExclusiveQueue {
  private owner: number | null = null;
  private waiting: (() => void)[] = [];
  /** Calls in enqueue() per connection, and the closed connections that still have some. */
  private pending = new Map<number, number>();
  private closed = new Set<number>();

  constructor(private readonly db: PGlite) {}

  async enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    this.pending.set(handlerId, (this.pending.get(handlerId) ?? 0) + 1);
    try {
      while (this.owner !== null && this.owner !== handlerId)
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (this.closed.has(handlerId)) return 0;
      return await this.run(handlerId, message, onData);
    } finally {
      const left = this.pending.get(handlerId)! - 1;
      if (left > 0) this.pending.set(handlerId, left);
      else {
        this.pending.delete(handlerId);
        this.closed.delete(handlerId);
      }
    }
  }

  private async run(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    this.owner = handlerId;
    let bytes = 0;
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(message, {
          onRawData: (data) => {
            bytes += data.length;
            onData(data);
          },
        }),
      );
    } finally {
      const type = message[0];
      const sequenceEnded = type === SYNC || type === QUERY || type === TERMINATE || isStartup(message);
      // Not when the connection closed meanwhile: its close already let the others in.
      if (this.owner === handlerId && sequenceEnded && !this.db.isInTransaction()) this.release();
    }
    return bytes;
  }

  private release() {
    this.owner = null;
    for (const wake of this.waiting.splice(0)) wake();
  }

  getQueueLength(): number {
    return this.waiting.length;
  }

  /** The handler calls this first when its connection goes away: its waiting messages will not run. */
  clearQueueForHandler(handlerId: number): void {
    if (this.pending.has(handlerId)) this.closed.add(handlerId);
  }

  /** A connection went away: roll back what it left open, and let the others in. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec("ROLLBACK");
    this.release();
  }
}

export async function startEmbeddedPostgres(options: {
  /** Folder holding the data; omitted means in memory (tests). */
  dataDir?: string;
  /** 0 picks a free port. */
  port: number;
}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir);
  const queue = new ConnectionExclusiveQueue(db);
  const handlers = new Set<PGLiteSocketHandler>();
  const server = net.createServer((socket) => {
    // The handler's option type names the library's own queue class; ours has its interface.
    const handler = new PGLiteSocketHandler({
      queryQueue: queue as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]["queryQueue"],
      closeOnDetach: true,
    });
    handlers.add(handler);
    for (const event of ["close", "error"]) handler.addEventListener(event, () => handlers.delete(handler));
    void handler.attach(socket).catch(() => socket.destroy());
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, "127.0.0.1", resolve);
    });
  } catch (err) {
    await db.close();
    throw err;
  }
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      for (const handler of handlers) await handler.detach(true);
      await new Promise((resolve) => server.close(resolve));
      await db.close();
    },
  };
}
