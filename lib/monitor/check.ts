import "server-only";
import { audit } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { dropAccountKey, keyIdentifierOf, rootOf, storeRewrap } from "@/lib/keys/hierarchy";
import { getKey, unwrapKey, wrapKey, type KeyInfo } from "@/lib/keyvault/keys";
import { logger } from "@/lib/observability/logger";
import { metrics } from "@/lib/observability/metrics";
import type { Prisma } from "@/lib/db/generated/client";
import { countCheck } from "./check-counts";
import { accountForCheck, recordTransition as recordTransitionRow, type AccountForCheck, type KeyState } from "./store";

/** skipped: not this worker's, or gone; error: failed unexpectedly, retried when its lease lapses. */
export type CheckResult = "active" | "recovered" | "inaccessible" | "unreachable" | "skipped" | "error";

export interface CheckOutcome {
  accountId: string;
  result: CheckResult;
  /** The new versioned key id when a new version was adopted. */
  rewrappedTo?: string;
  reason?: string;
}

/**
 * Key reads shared by the accounts of one cycle that read the same key through the same identity
 * (one Key Vault call each). Keyed by identity too: what one identity may read says nothing of
 * another's, so one account's 403 must never become its neighbour's.
 */
export type KeyReads = Map<string, Promise<KeyInfo>>;

/**
 * One check of one customer-key account (held under its lease by `owner`): read the key (its
 * latest version when unversioned), prove access by unwrapping the account key as the account's
 * identity, adopt a new version by re-wrapping, and move between Active and Inaccessible on a
 * definitive answer only. Throttling, 5xx, timeouts and dropped connections mark Key Vault
 * unreachable and change no state.
 */
export async function checkAccount(
  accountId: string,
  owner: string,
  reads: KeyReads = new Map(),
): Promise<CheckOutcome> {
  const account = await db().mediaAccount.findUnique({ where: { id: accountId }, include: accountForCheck });
  return checkLoaded(accountId, account, owner, reads);
}

/** The check of an account the caller read already (a claimed batch is read in one query). */
export async function checkClaimedAccount(
  account: AccountForCheck,
  owner: string,
  reads: KeyReads = new Map(),
): Promise<CheckOutcome> {
  return checkLoaded(account.id, account, owner, reads);
}

async function checkLoaded(
  accountId: string,
  account: AccountForCheck | null,
  owner: string,
  reads: KeyReads,
): Promise<CheckOutcome> {
  const transitions: Transition[] = [];
  const outcome = await check(accountId, account, owner, reads, transitions).catch(
    async (err: unknown): Promise<CheckOutcome> => {
      if (err instanceof Superseded) {
        // Still leased to this worker: the account changed under the check (its owner switched keys or
        // identity), so it is handed back and checked afresh. Otherwise it was deleted meanwhile, or
        // taken by another worker once its lease ended, and that worker's check stands.
        const { count } = await db().mediaAccount.updateMany({
          where: { id: accountId, leaseOwner: owner },
          data: { leaseOwner: null, leaseUntil: null },
        });
        return { accountId, result: "skipped", reason: count ? "AccountChanged" : "LeaseLost" } satisfies CheckOutcome;
      }
      metrics().checks.inc({ result: "error" });
      if (account) countCheck(account.subscriptionId, "error");
      throw err;
    },
  );
  observe(outcome, transitions);
  if (account) countCheck(account.subscriptionId, outcome.result);
  return outcome;
}

/** A check's write found the account no longer leased to its worker, or changed since it was read, and wrote nothing. */
class Superseded extends Error {}

type Transition = { from: KeyState; to: KeyState; dueAt: Date };

/** Counts the check and the transitions it committed, and logs a check that found something other than an active key. */
function observe(outcome: CheckOutcome, transitions: Transition[]) {
  const m = metrics();
  m.checks.inc({ result: outcome.result });
  for (const t of transitions) {
    m.transitions.inc({ from: t.from, to: t.to });
    if (t.from !== t.to) m.detectionLatency.observe(Math.max(0, Date.now() - t.dueAt.getTime()) / 1000);
  }
  if (outcome.result === "active" && !outcome.rewrappedTo) return;
  const log = logger("monitor").child({ accountId: outcome.accountId });
  const fields = { result: outcome.result, reason: outcome.reason, rewrappedTo: outcome.rewrappedTo };
  if (outcome.result === "skipped") log.debug(fields, "check skipped");
  else log.info(fields, "check");
}

async function check(
  accountId: string,
  account: AccountForCheck | null,
  owner: string,
  reads: KeyReads,
  transitions: Transition[],
): Promise<CheckOutcome> {
  if (!account || account.encryptionType !== "CustomerKey" || !account.accountKey || account.leaseOwner !== owner) {
    return { accountId, result: "skipped" };
  }
  const now = new Date();
  // Detection latency counts from when the account was due: a Key Vault event marks it due on arrival.
  const dueAt = account.nextCheckAt && account.nextCheckAt < now ? account.nextCheckAt : now;
  const recordTransition: typeof recordTransitionRow = async (tx, transition) => {
    await recordTransitionRow(tx, transition);
    transitions.push({ from: transition.from, to: transition.to, dueAt });
  };
  // The next check counts from when this one ends, not from when it began: however long Key Vault
  // took to answer, two reads of the key are at least an interval apart.
  const schedule = () => ({
    lastCheckAt: now,
    nextCheckAt: new Date(Date.now() + getConfig().monitorIntervalMs),
    leaseOwner: null,
    leaseUntil: null,
  });
  // Every write of a check is one statement that holds only while the account is still leased to
  // this worker and unchanged since it was read (`version` is bumped by every change of its owner: a
  // switch of key or identity must never be overwritten by a verdict on the old key, nor its account
  // key by a re-wrap under it); in a transaction, a failed write rolls back the transition with it.
  const write = async (tx: Prisma.TransactionClient, data: Prisma.MediaAccountUpdateManyMutationInput) => {
    const { count } = await tx.mediaAccount.updateMany({
      where: { id: account.id, leaseOwner: owner, version: account.version },
      data,
    });
    if (count !== 1) throw new Superseded();
  };
  const wasInaccessible = account.keyStatus === "Inaccessible";
  try {
    const root = rootOf(account);
    const id = keyIdentifierOf(root.keyId);
    const readOf = `${root.identityClientId} ${id.id}`;
    const readKey = reads.get(readOf) ?? getKey(root.identityClientId, id);
    reads.set(readOf, readKey);
    const key = await readKey;
    if (!key.enabled) throw new DomainError("KeyDisabled", `The key version ${key.version} is disabled.`);
    if (key.expiresOn && key.expiresOn.getTime() <= now.getTime())
      throw new DomainError("KeyExpired", `The key expired on ${key.expiresOn.toISOString()}.`);
    const plaintext = await unwrapKey(
      root.identityClientId,
      account.accountKey.wrappedBy,
      Buffer.from(account.accountKey.wrapped),
    );
    let rewrappedTo: string | undefined;
    if (!id.version && key.id !== account.accountKey.wrappedBy) {
      const wrapped = await wrapKey(root.identityClientId, key.id, plaintext);
      await storeRewrap(
        account.id,
        plaintext,
        { wrapped, wrappedBy: key.id },
        async (tx) => {
          await write(tx, { lastCheckAt: now });
          await recordTransition(tx, {
            accountId: account.id,
            from: "CustomerKey",
            to: "CustomerKey",
            reason: "Rewrap",
            detail: `new key version: ${key.id}`,
          });
        },
        {
          actor: `system:monitor`,
          action: "encryption.rewrap",
          outcome: "success",
          subscriptionId: account.subscriptionId,
          accountId: account.id,
          detail: { from: account.accountKey.wrappedBy, to: key.id, reason: "new key version" },
        },
      );
      rewrappedTo = key.id;
    }
    const active = {
      ...schedule(),
      lastSuccessAt: now,
      keyStatus: "Active",
      keyStatusReason: null,
      keyStatusMessage: null,
      unreachableSince: null,
      unreachableReason: null,
    } as const;
    // Still active, the common case: one statement, no transaction.
    if (!wasInaccessible) await write(db(), active);
    else
      await db().$transaction(async (tx) => {
        await write(tx, active);
        await recordTransition(tx, {
          accountId: account.id,
          from: "CustomerKeyInaccessible",
          to: "CustomerKey",
          reason: "AccessRestored",
          detail: "The key is accessible again.",
        });
        await audit(
          {
            actor: "system:monitor",
            action: "encryption.keyAccessible",
            outcome: "success",
            subscriptionId: account.subscriptionId,
            accountId: account.id,
            detail: { keyIdentifier: account.keyIdentifier },
          },
          tx,
        );
      });
    return { accountId, result: wasInaccessible ? "recovered" : "active", ...(rewrappedTo ? { rewrappedTo } : {}) };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.code === "KeyVaultUnavailable") {
      await write(db(), {
        ...schedule(),
        unreachableSince: account.unreachableSince ?? now,
        unreachableReason: err.message,
        lastFailureAt: now,
        lastFailureReason: err.code,
      });
      return { accountId, result: "unreachable", reason: err.code };
    }
    dropAccountKey(account.id);
    const inaccessible = {
      ...schedule(),
      keyStatus: "Inaccessible",
      keyStatusReason: err.code,
      keyStatusMessage: err.message,
      unreachableSince: null,
      unreachableReason: null,
      // Kept after the key recovers: the dashboard shows the last failure beside the last success.
      lastFailureAt: now,
      lastFailureReason: err.code,
    } as const;
    // Inaccessible for the same reason as before: no transition, one statement.
    if (wasInaccessible && account.keyStatusReason === err.code) await write(db(), inaccessible);
    else
      await db().$transaction(async (tx) => {
        await write(tx, inaccessible);
        await recordTransition(tx, {
          accountId: account.id,
          from: wasInaccessible ? "CustomerKeyInaccessible" : "CustomerKey",
          to: "CustomerKeyInaccessible",
          reason: err.code,
          detail: err.message,
        });
        await audit(
          {
            actor: "system:monitor",
            action: "encryption.keyInaccessible",
            outcome: "failure",
            subscriptionId: account.subscriptionId,
            accountId: account.id,
            detail: { reason: err.code, keyIdentifier: account.keyIdentifier },
          },
          tx,
        );
      });
    return { accountId, result: "inaccessible", reason: err.code };
  }
}
