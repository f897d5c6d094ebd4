import "server-only";
import type { Operation } from "@/lib/accounts/policy";
import type { AccountRecord, AccountRef } from "@/lib/accounts/store";
import type { Action } from "@/lib/auth/authorize";
import type { Principal } from "@/lib/auth/principal";

/** Who asks, about which account, and for nested resources (jobs) the parent's name. */
export interface MediaScope {
  principal: Principal;
  ref: AccountRef;
  parent?: string;
  /** The account, already authorized and read for one request (lib/media/access.ts resolveMediaAccount). */
  resolved?: {
    ref: AccountRef;
    path: string;
    action: Action;
    armOperation: string;
    policy: Operation;
    account: AccountRecord;
  };
}

/** A media resource as lib/media returns it: its row, and the account it belongs to (its id, settings). */
export interface MediaRecord<Row> {
  account: AccountRecord;
  row: Row;
}

/** A list's page of rows, and the account they belong to. */
export interface MediaList<Row> {
  account: AccountRecord;
  rows: Row[];
}

/** A PUT's outcome: the resource written, and whether it was new. */
export interface PutResult<Row> extends MediaRecord<Row> {
  created: boolean;
}
