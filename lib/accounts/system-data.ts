/**
 * ARM's systemData, for accounts and their media resources alike: who created a resource and who
 * last changed it (the caller of the API or the portal), and when.
 */
import type { Principal } from "@/lib/auth/principal";

/** Who made a change, as systemData names them: a user by name, an application by object id. */
export interface Actor {
  by: string;
  byType: "User" | "Application";
}

/** The actor of a change made by this principal. */
export const modifiedBy = (principal: Principal): Actor => ({
  by: principal.kind === "user" ? principal.name : principal.objectId,
  byType: principal.kind === "user" ? "User" : "Application",
});

/** The columns of a row changed by `actor`. */
export const modifiedByColumns = (actor: Actor) => ({ lastModifiedBy: actor.by, lastModifiedByType: actor.byType });

/** The columns of a row created by `actor`, who is also its last modifier. */
export const createdByColumns = (actor: Actor) => ({
  createdBy: actor.by,
  createdByType: actor.byType,
  ...modifiedByColumns(actor),
});

/** The columns systemData is made of (with the row's `updatedAt` where it has one). */
export const systemDataSelect = {
  createdBy: true,
  createdByType: true,
  lastModifiedBy: true,
  lastModifiedByType: true,
  createdAt: true,
} as const;

export interface SystemDataRow {
  createdBy: string | null;
  createdByType: string | null;
  lastModifiedBy: string | null;
  lastModifiedByType: string | null;
  createdAt: Date;
  /** Absent for resources that never change (streaming locators). */
  updatedAt?: Date;
}

/** systemData as ARM gives it. Who is left out where it was never recorded (rows older than these columns), not guessed. */
export function systemDataJson(r: SystemDataRow) {
  return {
    ...(r.createdBy ? { createdBy: r.createdBy, createdByType: r.createdByType } : {}),
    createdAt: r.createdAt.toISOString(),
    ...(r.lastModifiedBy ? { lastModifiedBy: r.lastModifiedBy, lastModifiedByType: r.lastModifiedByType } : {}),
    lastModifiedAt: (r.updatedAt ?? r.createdAt).toISOString(),
  };
}
