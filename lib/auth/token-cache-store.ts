import "server-only";
import { db } from "@/lib/db/client";

export async function loadTokenCache(sessionId: string): Promise<Buffer | null> {
  const row = await db().sessionTokenCache.findUnique({
    where: { sessionId },
    select: { sealed: true, expiresAt: true },
  });
  return row && row.expiresAt > new Date() ? Buffer.from(row.sealed) : null;
}

export async function saveTokenCache(sessionId: string, sealed: Buffer, expiresAt: Date): Promise<void> {
  const data = { sealed: new Uint8Array(sealed), expiresAt };
  await db().sessionTokenCache.upsert({ where: { sessionId }, create: { sessionId, ...data }, update: data });
}
