import "server-only";
import { audit } from "@/lib/audit";
import { vaultLookupAsKeyIdentity } from "@/lib/azure/arm-vaults";
import { db } from "@/lib/db/client";
import { DomainError, type ErrorCode } from "@/lib/errors";
import type { VaultLookup } from "@/lib/keys/binding";
import { runLoop, workerName } from "@/lib/workers/loop";
import { switchToCustomerKey, switchToSystemKey } from "./encryption";
import {
  claimOperation,
  dueOperations,
  failOperation,
  retryOperationLater,
  succeedOperation,
  type OperationInput,
  type VaultSource,
} from "./operations";
import { assertAllowed } from "./policy";
import { summarySelect, type AccountRecord } from "./store";
import { logger } from "@/lib/observability/logger";

/**
 * Runs the REST API's long-running operations: the Key Vault work of a switch of root key, after
 * the request that asked for it. The portal process runs each at once (it holds the lease from
 * the start); a worker takes over any whose lease expired (a process that died) or that waits
 * to retry (Key Vault did not answer).
 */

/** Tries an operation gets before Key Vault's silence (or an unexpected error) ends it Failed. */
const MAX_ATTEMPTS = 5;

export type OperationOutcome = { id: string; status: "Succeeded" | "Failed" | "Retrying"; code?: string };

/** The vault's properties as the request recorded them, or read now as the key's identity. */
function lookupFrom(source: VaultSource): VaultLookup {
  if (source.from === "keyIdentity") return vaultLookupAsKeyIdentity();
  return async () => {
    if (source.error) throw new DomainError(source.error.code as ErrorCode, source.error.message);
    return source.facts;
  };
}

async function execute(account: AccountRecord, input: OperationInput, actor: string): Promise<void> {
  assertAllowed(account, "encryption.change");
  if (input.kind === "systemKey") {
    if (account.encryptionType === "CustomerKey") await switchToSystemKey(account, actor);
    return;
  }
  const validation = await switchToCustomerKey(
    account,
    { keyIdentifier: input.keyIdentifier, userAssignedIdentity: input.userAssignedIdentity },
    lookupFrom(input.vault),
    actor,
  );
  if (!validation.ok) throw validation.failure;
}

/** Runs one operation that `owner` holds, to its end or to a retry later. */
export async function runOperation(id: string, owner: string): Promise<OperationOutcome> {
  const op = await db().accountOperation.findUnique({
    where: { id },
    select: { input: true, actor: true, attempts: true, account: { select: summarySelect } },
  });
  if (!op) return { id, status: "Failed", code: "ResourceNotFound" };
  try {
    await execute(op.account, op.input as OperationInput, op.actor);
    await succeedOperation(id, owner);
    return { id, status: "Succeeded" };
  } catch (err) {
    const transient = !(err instanceof DomainError) || err.code === "KeyVaultUnavailable";
    if (transient && op.attempts < MAX_ATTEMPTS) {
      const seconds = (err instanceof DomainError ? err.retryAfterSeconds : undefined) ?? 5 * op.attempts;
      if (!(err instanceof DomainError))
        logger("operations").error({ operationId: id, attempt: op.attempts, err }, "operation failed");
      await retryOperationLater(id, owner, new Date(Date.now() + seconds * 1000));
      return { id, status: "Retrying", code: err instanceof DomainError ? err.code : "InternalServerError" };
    }
    const error =
      err instanceof DomainError
        ? { code: err.code, message: err.message }
        : { code: "InternalServerError", message: "The operation failed unexpectedly on each attempt." };
    await failOperation(id, owner, error);
    await audit({
      actor: op.actor,
      action: "account.operation",
      outcome: "failure",
      subscriptionId: op.account.subscriptionId,
      accountId: op.account.id,
      detail: { operationId: id, code: error.code },
    });
    return { id, status: "Failed", code: error.code };
  }
}

/** Runs, in this process, an operation it already holds (the request that started it answered meanwhile). */
export function runInBackground(id: string, owner: string): void {
  void runOperation(id, owner).catch((err: unknown) =>
    logger("operations").error({ operationId: id, err }, "operation failed"),
  );
}

/** A name for this process in operation leases. */
export const processOwner = workerName();

/** The worker's part: takes over operations nobody holds. */
export function startOperationRunner(
  options: { loop: boolean; intervalMs: number; onOutcome?: (o: OperationOutcome) => void } = {
    loop: true,
    intervalMs: 1000,
  },
) {
  const owner = workerName();
  async function runOnce(): Promise<OperationOutcome[]> {
    const outcomes: OperationOutcome[] = [];
    for (const id of await dueOperations(10)) {
      if (!(await claimOperation(id, owner))) continue;
      const outcome = await runOperation(id, owner);
      options.onOutcome?.(outcome);
      outcomes.push(outcome);
    }
    return outcomes;
  }
  const loop = options.loop
    ? runLoop("operations", async () => ({ more: (await runOnce()).length > 0, waitMs: options.intervalMs }))
    : null;
  return { owner, runOnce, stop: async () => loop?.stop() };
}
