import { databaseQueryCount, databaseStatementsSince } from "@/lib/db/client";

const selects = (table: string, among: string[]) =>
  among.filter((s) => /^\s*SELECT\b/i.test(s) && s.includes(`FROM "public"."${table}"`)).length;

/**
 * Runs `work` (one request, in this process) and counts the reads of a table among the statements
 * it sent: in all, and before its first transaction (what a write read before writing).
 */
export async function readsOf<T>(work: () => Promise<T>) {
  const since = databaseQueryCount();
  const result = await work();
  const statements = databaseStatementsSince(since);
  const begin = statements.findIndex((s) => /^\s*BEGIN\b/i.test(s));
  const beforeWrite = begin < 0 ? statements : statements.slice(0, begin);
  return {
    result,
    reads: (table: string) => selects(table, statements),
    readsBeforeWrite: (table: string) => selects(table, beforeWrite),
  };
}
