import "server-only";
import type { Prisma } from "@/lib/db/generated/client";
import { db } from "@/lib/db/client";

export interface AuditEntry {
  /** Principal object id, or a service actor such as "system:monitor". */
  actor: string;
  action: string;
  outcome: "success" | "denied" | "failure";
  subscriptionId?: string;
  accountId?: string;
  /** What happened and why, for people; never a secret. */
  detail?: Record<string, string | number | boolean | null | string[]>;
}

const rowOf = ({ detail, ...rest }: AuditEntry) => ({ ...rest, ...(detail ? { detail } : {}) });

/** Records one event; inside a transaction when given one, so it commits with the change. */
export async function audit(entry: AuditEntry, tx?: Prisma.TransactionClient): Promise<void> {
  await (tx ?? db()).auditEvent.create({ data: rowOf(entry) });
}

/** Records several events in one statement. */
export async function auditAll(entries: AuditEntry[]): Promise<void> {
  if (entries.length) await db().auditEvent.createMany({ data: entries.map(rowOf) });
}
