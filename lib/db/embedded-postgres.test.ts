import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import pg from "pg";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres";

let server: EmbeddedPostgres;
before(async () => {
  server = await startEmbeddedPostgres({ port: 0 });
});
after(async () => server?.stop());

it("keeps each connection's query sequences and transactions whole when several connections share PGlite", async () => {
  // Two processes' pools at once, as the portal and the worker are: parameterized queries are
  // Parse/Bind/Execute/Sync sequences that must not interleave inside PGlite's single session.
  const pools = [0, 1].map(() => new pg.Pool({ connectionString: server.url, max: 4 }));
  await pools[0]!.query("CREATE TABLE counter (id int primary key, n int not null)");
  await pools[0]!.query("INSERT INTO counter VALUES (1, 0)");
  const work = pools.flatMap((pool, p) =>
    Array.from({ length: 150 }, async (_, i) => {
      const a = (i * 7 + p) % 97;
      const b = i % 13;
      const c = `${p}-${i}`;
      const { rows } = await pool.query("SELECT $1::int + $2::int AS sum, $3::text AS tag", [a, b, c]);
      assert.deepEqual(rows[0], { sum: a + b, tag: c });
      if (i % 10 === 0) {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          const {
            rows: [row],
          } = await client.query("SELECT n FROM counter WHERE id = $1", [1]);
          await client.query("UPDATE counter SET n = $1 WHERE id = $2", [row.n + 1, 1]);
          await client.query("COMMIT");
        } finally {
          client.release();
        }
      }
    }),
  );
  await Promise.all(work);
  const { rows } = await pools[1]!.query("SELECT n FROM counter WHERE id = $1", [1]);
  assert.equal(rows[0].n, 30, "every read-modify-write transaction ran alone");
  await Promise.all(pools.map((p) => p.end()));
});

it("a connection that closes while it waits for the database never holds it afterwards", async () => {
  // A process killed (or a client dropped) while its query waited behind another connection's
  // transaction: its queued messages must not take the database once the transaction ends.
  const holder = new pg.Client({ connectionString: server.url });
  const dropped = new pg.Client({ connectionString: server.url });
  const later = new pg.Client({ connectionString: server.url });
  for (const client of [holder, dropped, later]) await client.connect();
  dropped.on("error", () => undefined);
  await holder.query("BEGIN");
  await holder.query("SELECT $1::int AS one", [1]);
  const waiting = dropped.query("SELECT $1::int AS two", [2]).catch(() => "dropped");
  await new Promise((resolve) => setTimeout(resolve, 100)); // its Parse is queued behind the transaction
  (dropped as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
  assert.equal(await waiting, "dropped");
  await new Promise((resolve) => setTimeout(resolve, 100));
  await holder.query("COMMIT");
  const answer = await Promise.race([
    later.query("SELECT $1::int AS three", [3]).then((r) => r.rows[0].three as number),
    new Promise((resolve) => setTimeout(() => resolve("still waiting after 3 s"), 3000)),
  ]);
  assert.equal(answer, 3);
  await Promise.all([holder.end(), later.end().catch(() => undefined)]);
});
