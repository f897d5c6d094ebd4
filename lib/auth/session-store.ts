import "server-only";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";

/** lastSeenAt moves at most this often: the idle timeout costs no write on every request. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Starts a session (before its token cache is written, which belongs to it). */
export async function openSession(id: string, now = new Date()): Promise<void> {
  await db().session.create({
    data: { id, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + getConfig().sessions.absoluteMs) },
  });
}

/**
 * Is this session live? One that sign-out ended is gone; one past its idle or absolute timeout
 * ends now. A live one notes the request, at most once a minute.
 */
export async function touchSession(id: string, now = new Date()): Promise<boolean> {
  const row = await db().session.findUnique({ where: { id }, select: { lastSeenAt: true, expiresAt: true } });
  if (!row) return false;
  const idle = now.getTime() - row.lastSeenAt.getTime();
  if (row.expiresAt <= now || idle >= getConfig().sessions.idleMs) {
    await endSession(id);
    return false;
  }
  if (idle >= LAST_SEEN_RESOLUTION_MS) await db().session.updateMany({ where: { id }, data: { lastSeenAt: now } });
  return true;
}

/** Ends a session everywhere; its token cache goes with it (ON DELETE CASCADE). */
export async function endSession(id: string): Promise<void> {
  await db().session.deleteMany({ where: { id } });
}

/** Ends every session past a timeout, with its token cache, whether or not its browser comes back. */
export async function purgeEndedSessions(now = new Date()): Promise<number> {
  const idleSince = new Date(now.getTime() - getConfig().sessions.idleMs);
  const { count } = await db().session.deleteMany({
    where: { OR: [{ expiresAt: { lte: now } }, { lastSeenAt: { lte: idleSince } }] },
  });
  return count;
}
