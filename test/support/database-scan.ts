/**
 * The database scan behind "no plaintext secret in the database": every row of every table, as
 * PostgreSQL's JSON text of it (bytea as hex), searched for each needle. `query` runs one SQL
 * statement on the database to scan (Prisma's $queryRawUnsafe, or a pg client in e2e tests).
 */
type Query = (sql: string) => Promise<unknown[]>;

/** The ways a key could sit in a row: hex (also how bytea reads), base64, base64url. */
export const encodingsOf = (key: Buffer) => [key.toString("hex"), key.toString("base64"), key.toString("base64url")];

export async function findInDatabase(
  query: Query,
  needles: string[],
): Promise<{ hits: string[]; rowsScanned: number }> {
  const tables = (await query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  )) as { table_name: string }[];
  const hits: string[] = [];
  let rowsScanned = 0;
  for (const { table_name } of tables) {
    const rows = (await query(`SELECT row_to_json(t)::text AS j FROM "${table_name}" t`)) as { j: string }[];
    rowsScanned += rows.length;
    for (const { j } of rows)
      for (const needle of needles) if (j.includes(needle)) hits.push(`${table_name} holds ${needle.slice(0, 8)}…`);
  }
  return { hits, rowsScanned };
}
