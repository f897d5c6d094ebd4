import "server-only";
import { PrismaPg } from "@prisma/adapter-pg";
import { getConfig } from "@/lib/config";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

/** A client for one database URL; callers that create one own its `$disconnect()`. */
export function createDb(url: string, poolSize = 5): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: poolSize }) });
}

// One client per process, kept on globalThis so that Next's dev reloads do not open new pools.
const holder = globalThis as unknown as { byokDb?: Db };

/** The process's database client, for the configured DATABASE_URL (or the embedded PGlite). */
export function db(): Db {
  holder.byokDb ??= createDb(getConfig().database.url);
  return holder.byokDb;
}

/** Closes the process's client, if one was opened (tests, and shutdown). */
export async function disconnectDb(): Promise<void> {
  await holder.byokDb?.$disconnect();
  holder.byokDb = undefined;
}
