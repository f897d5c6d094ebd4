/** Read-only look into the e2e stack's database, for assertions about what was stored. */
import pg from "pg";
import { e2eStack } from "./stack";

export async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({
    connectionString: `postgresql://postgres@127.0.0.1:${e2eStack.embeddedDbPort}/postgres`,
  });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
