import "server-only";
import { db } from "@/lib/db/client";

/**
 * Notes that an event about the vault arrived (now), for the portal to show whether events flow;
 * only when the delivering tenant has customer-key accounts on that vault, so that another
 * tenant's deliveries cannot make this vault's badge say events arrive. Returns whether it did.
 */
export async function recordVaultEvent(event: {
  tenantId: string;
  vaultHost: string;
  eventId: string;
  eventType: string;
}): Promise<boolean> {
  const accounts = await db().mediaAccount.count({
    where: {
      encryptionType: "CustomerKey",
      subscription: { tenantId: event.tenantId },
      keyIdentifier: { startsWith: `https://${event.vaultHost}/keys/`, mode: "insensitive" },
    },
  });
  if (accounts === 0) return false;
  const now = new Date();
  await db().vaultEventFeed.upsert({
    where: { vaultHost: event.vaultHost },
    create: {
      vaultHost: event.vaultHost,
      lastEventAt: now,
      lastEventType: event.eventType,
      lastEventId: event.eventId,
    },
    update: {
      lastEventAt: now,
      lastEventType: event.eventType,
      lastEventId: event.eventId,
      received: { increment: 1 },
    },
  });
  return true;
}

/** The last event received about a vault (by host[:port]), or null when none ever came. */
export async function lastVaultEvent(vaultHost: string) {
  return db().vaultEventFeed.findUnique({
    where: { vaultHost: vaultHost.toLowerCase() },
    select: { lastEventAt: true, lastEventType: true, received: true },
  });
}

/**
 * The customer-key accounts of `tenantId`'s subscriptions bound to a key in the vault (any key
 * when `keyName` is null): the accounts an event about it concerns. A delivery authenticated for
 * one tenant never triggers another tenant's checks.
 */
export async function accountsUsingVault(query: {
  tenantId: string;
  vaultHost: string;
  keyName: string | null;
}): Promise<string[]> {
  const prefix = `https://${query.vaultHost}/keys/`;
  const rows = await db().mediaAccount.findMany({
    where: {
      encryptionType: "CustomerKey",
      subscription: { tenantId: query.tenantId },
      keyIdentifier: { startsWith: prefix, mode: "insensitive" },
    },
    select: { id: true, keyIdentifier: true },
  });
  const wanted = query.keyName?.toLowerCase();
  return rows
    .filter((r) => !wanted || r.keyIdentifier!.slice(prefix.length).split("/")[0]!.toLowerCase() === wanted)
    .map((r) => r.id);
}
