/**
 * What an account may do in its key state: the one table that the REST API, the server actions,
 * key delivery and the dashboard all read (DESIGN.md §3). While the customer key is
 * inaccessible only reading, listing and deleting the account work, and checking the key again.
 */
import { DomainError } from "@/lib/errors";

export type KeyState = "SystemKey" | "CustomerKey" | "CustomerKeyInaccessible";

export const operations = {
  "account.read": "Read the account",
  "account.list": "List accounts",
  "account.delete": "Delete the account",
  "account.update": "Change the account (identity)",
  "encryption.change": "Change the encryption key",
  "key.check": "Check the customer key now",
  "media.read": "Read media resources (assets, transforms, jobs, content key policies, streaming locators)",
  "media.write": "Create, change or delete assets and transforms",
  "secrets.read": "Read secrets (content keys, token keys)",
  "secrets.write": "Create content key policies and streaming locators",
  "jobs.create": "Create encoding jobs",
  "jobs.run": "Run scheduled jobs (they wait, and resume when the key is back)",
  keyDelivery: "Deliver content keys to players (streaming)",
  streaming: "Serve published assets from streaming endpoints",
} as const;

export type Operation = keyof typeof operations;

const allowedWhileInaccessible: ReadonlySet<Operation> = new Set([
  "account.read",
  "account.list",
  "account.delete",
  "key.check",
]);

/** What still works while the key is inaccessible, in the table's own words: the blocked message quotes it. */
const stillAllowed = [...allowedWhileInaccessible].map((o) => operations[o].toLowerCase()).join(", ");

export interface AccountKeyFacts {
  encryptionType: "SystemKey" | "CustomerKey";
  keyStatus: "Active" | "Inaccessible";
  keyStatusReason?: string | null;
  keyStatusMessage?: string | null;
  keyIdentifier?: string | null;
}

export function keyStateOf(account: AccountKeyFacts): KeyState {
  if (account.encryptionType === "SystemKey") return "SystemKey";
  return account.keyStatus === "Inaccessible" ? "CustomerKeyInaccessible" : "CustomerKey";
}

export type Decision = { allowed: true } | { allowed: false; code: "CustomerKeyInaccessible"; message: string };

export function decide(account: AccountKeyFacts, operation: Operation): Decision {
  if (keyStateOf(account) !== "CustomerKeyInaccessible" || allowedWhileInaccessible.has(operation))
    return { allowed: true };
  return {
    allowed: false,
    code: "CustomerKeyInaccessible",
    message:
      `${operations[operation]} is not possible: the account's customer key ${account.keyIdentifier ?? ""} is inaccessible ` +
      `(${account.keyStatusReason ?? "unknown"}: ${account.keyStatusMessage ?? "no detail"}). Restore the account identity's ` +
      "access to the key (re-grant get, wrapKey and unwrapKey; enable or recover the key or vault); the account recovers " +
      `by itself at its next key check. Until then only these work: ${stillAllowed}.`,
  };
}

/** Throws CustomerKeyInaccessible when the account's state blocks the operation. */
export function assertAllowed(account: AccountKeyFacts, operation: Operation): void {
  const decision = decide(account, operation);
  if (!decision.allowed) throw new DomainError("CustomerKeyInaccessible", decision.message);
}

/** The operations the account's state allows, in the table's words: what the dashboard says still works. */
export function allowedOperations(account: AccountKeyFacts): { operation: Operation; label: string }[] {
  return (Object.keys(operations) as Operation[]).flatMap((operation) =>
    decide(account, operation).allowed ? [{ operation, label: operations[operation] }] : [],
  );
}

/** The operations the account's state blocks, with why: what the dashboard lists. */
export function blockedOperations(account: AccountKeyFacts): { operation: Operation; label: string; reason: string }[] {
  return (Object.keys(operations) as Operation[]).flatMap((operation) => {
    const decision = decide(account, operation);
    return decision.allowed ? [] : [{ operation, label: operations[operation], reason: decision.message }];
  });
}
