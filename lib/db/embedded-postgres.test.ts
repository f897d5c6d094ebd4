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
