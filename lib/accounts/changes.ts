import "server-only";
import { audit } from "@/lib/audit";
import type { Principal } from "@/lib/auth/principal";
import { issueSystemAssignedIdentity } from "@/lib/azure/managed-identities";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { DomainError } from "@/lib/errors";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { putOnce } from "./names";
import { processOwner, runInBackground } from "./operation-runner";
import {
  operationInProgress,
  recordCompletedOperation,
  startOperation,
  type OperationInput,
  type OperationRecord,
  type VaultSource,
} from "./operations";
import { assertAllowed } from "./policy";
import { accountNotFound, accountResourceId, authorizeWrite, insertAudited } from "./service";
import { checkResourceIdentity, checkSettings, settingsOf, type AccountSettings } from "./settings";
import { modifiedBy } from "./system-data";
import { checkMinimumTlsVersion, defaultMinimumTlsVersion } from "./tls-floor";
import {
  findAccount,
  setSettings,
  setSystemIdentity,
  setUserAssignedIdentities,
  type AccountRecord,
  type AccountRef,
} from "./store";

/**
 * ARM's PUT and PATCH of an account as typed changes: identities, settings and the root key. The
 * caller is authorized and the account read once; identities and settings are written in the
 * request; a change of root key is a long-running operation (operations.ts), whose Key Vault work
 * runs after the request has answered.
 */

/** The root key asked for. CustomerKey names the key, the identity that reads it, and how its vault is read. */
export type EncryptionChange =
  | { type: "SystemKey" }
  | {
      type: "CustomerKey";
      keyIdentifier: string;
      identity: { useSystemAssignedIdentity: boolean; userAssignedIdentity?: string };
      vault: VaultSource;
    };

export interface AccountChanges {
  /** SystemAssigned: the account has (or gets) its own identity; None: it has none (it cannot be removed). Undefined: unchanged. */
  identityType?: "None" | "SystemAssigned";
  /**
   * User-assigned identities by ARM id, already resolved as the caller (lib/azure/user-identities):
   * the ones the account keeps ({} removes them all); null: unchanged.
   */
  userAssignedIdentities?: Record<string, { principalId: string; clientId: string }> | null;
  settings?: Partial<AccountSettings>;
  encryption?: EncryptionChange;
  /** ETag the caller last read (If-Match); "*" or undefined: any. */
  ifMatch?: string | null;
  /**
   * Every change is an operation (api-versions whose PUT and PATCH are long-running): one with no
   * Key Vault work is recorded already Succeeded, so the client polls it as it polls any other.
   */
  alwaysOperation?: boolean;
}

export interface AccountPut extends AccountRef, AccountChanges {
  location: string;
}

export interface AccountChangeResult {
  account: AccountRecord;
  created: boolean;
  /**
   * The long-running operation of the change: InProgress when it has Key Vault work, Succeeded when
   * everything was done in the request (only with `alwaysOperation`); null when none was asked for.
   */
  operation: OperationRecord | null;
}

export const etagOf = (a: { version: number }) => `"${a.version}"`;

const hasSystemIdentity = (a: AccountRecord) =>
  a.identityType === "SystemAssigned" || a.identityType === "SystemAssignedUserAssigned";

const userAssignedOf = (a: AccountRecord) => Object.keys((a.userAssignedIdentities ?? {}) as object);

/**
 * PUT: creates the account, or changes the existing one (its location cannot change). A new
 * account may be created on a customer key in one call when a user-assigned identity (which
 * exists before the account, and can have been granted the key) reads it. `known`: the account
 * (or null: none) as the caller just read it to build the changes, so it is not read again; a
 * create that loses a race reads the winner.
 */
export async function putAccountFor(
  principal: Principal,
  input: AccountPut,
  known?: AccountRecord | null,
): Promise<AccountChangeResult> {
  await authorizeWrite(principal, input);
  let first = known !== undefined;
  const { created, account } = await putOnce(async () => {
    const existing = first ? (known ?? null) : await findAccount(input);
    first = false;
    if (existing) {
      if (existing.location !== input.location)
        throw new DomainError(
          "InvalidRequestContent",
          `The account is in '${existing.location}'; its location cannot change.`,
          "location",
        );
      return { created: false, account: existing };
    }
    return { created: true, account: await create(principal, input) };
  });
  if (created)
    return finishChanges(
      principal,
      account,
      { ...input, identityType: undefined, userAssignedIdentities: null, settings: undefined },
      true,
    );
  return finishChanges(principal, account, input, false);
}

/** PATCH: changes what the body names on an existing account (`known`: as the caller just read it). */
export async function updateAccountFor(
  principal: Principal,
  ref: AccountRef,
  changes: AccountChanges,
  known?: AccountRecord,
): Promise<AccountChangeResult> {
  await authorizeWrite(principal, ref);
  const account = known ?? (await findAccount(ref));
  if (!account) throw accountNotFound(ref);
  return finishChanges(principal, account, changes, false);
}

/** A new account with its identities and settings, on the system key; a customer key follows in the operation. */
async function create(principal: Principal, input: AccountPut): Promise<AccountRecord> {
  const userAssigned = input.userAssignedIdentities ?? {};
  const identities = {
    hasSystemIdentity: input.identityType === "SystemAssigned",
    userAssignedIdentities: Object.keys(userAssigned),
  };
  const encryption = input.encryption;
  if (encryption?.type === "CustomerKey") {
    if (encryption.identity.useSystemAssignedIdentity && !encryption.identity.userAssignedIdentity)
      throw new DomainError(
        "CustomerKeyNeedsUserAssignedIdentity",
        "A new account cannot be created on a customer key read by its system-assigned identity: that identity is issued when the account is created, so it cannot have been granted the key yet. Create the account with encryption type SystemKey, grant its identity (identity.principalId) get, wrapKey and unwrapKey on the key, then PATCH properties.encryption to CustomerKey; or create it with a user-assigned identity that has that access, named in properties.encryption.identity.userAssignedIdentity.",
        "properties.encryption.identity",
      );
    checkResourceIdentity(encryption.identity, identities, "properties.encryption.identity");
    keyIdentifierOf(encryption.keyIdentifier);
  }
  const settings = { ...settingsOf(defaultColumns()), ...input.settings };
  checkSettings(settings, identities);
  if (input.settings?.minimumTlsVersion) checkMinimumTlsVersion(input.settings.minimumTlsVersion);
  const account = await insertAudited(principal, { ...input, identityType: input.identityType ?? "None" }, settings);
  if (!Object.keys(userAssigned).length) return account;
  return setUserAssignedIdentities(
    account.id,
    account.identityType === "SystemAssigned" ? "SystemAssignedUserAssigned" : "UserAssigned",
    userAssigned,
  );
}

const defaultColumns = () => ({
  tags: {},
  storageAccounts: [],
  storageAuthentication: null,
  keyDeliveryDefaultAction: "Allow",
  keyDeliveryIpAllowList: [],
  publicNetworkAccess: "Enabled",
  minimumTlsVersion: defaultMinimumTlsVersion(),
});

/** The operation input for an encryption change, or null when the account already has what is asked. */
function operationFor(account: AccountRecord, encryption: EncryptionChange | undefined): OperationInput | null {
  if (!encryption) return null;
  if (encryption.type === "SystemKey") return account.encryptionType === "CustomerKey" ? { kind: "systemKey" } : null;
  const userAssignedIdentity = encryption.identity.useSystemAssignedIdentity
    ? null
    : (encryption.identity.userAssignedIdentity ?? null);
  const unchanged =
    account.encryptionType === "CustomerKey" &&
    account.keyIdentifier === keyIdentifierOf(encryption.keyIdentifier).id &&
    (account.encryptionIdentity ?? null) === userAssignedIdentity;
  if (unchanged) return null;
  return {
    kind: "customerKey",
    keyIdentifier: encryption.keyIdentifier,
    userAssignedIdentity,
    vault: encryption.vault,
  };
}

/**
 * The account's row, locked for the transaction, must be as the request read it before its ARM
 * lookups: every owner change bumps `version` (the ETag), so a change committed meanwhile is not
 * overwritten with values computed from the older row, and the key state the request was allowed
 * under still holds (a check may have found the key inaccessible meanwhile).
 */
async function unchangedSince(account: AccountRecord, changes: AccountChanges, tx: Prisma.TransactionClient) {
  const [row] = await tx.$queryRaw<{ version: number; keyStatus: AccountRecord["keyStatus"] }[]>`
    SELECT "version", "keyStatus" FROM "MediaAccount" WHERE "id" = ${account.id} FOR UPDATE`;
  if (!row) throw accountNotFound(account);
  if (row.version !== account.version)
    throw new DomainError(
      changes.ifMatch ? "PreconditionFailed" : "Conflict",
      `The account changed while this request ran (ETag ${etagOf(account)}, now ${etagOf(row)}). Read it again and retry.`,
    );
  assertAllowed({ ...account, keyStatus: row.keyStatus }, "account.update");
}

async function finishChanges(
  principal: Principal,
  account: AccountRecord,
  changes: AccountChanges,
  created: boolean,
): Promise<AccountChangeResult> {
  if (!created) {
    if (changes.ifMatch && changes.ifMatch !== "*" && changes.ifMatch !== etagOf(account))
      throw new DomainError(
        "PreconditionFailed",
        `The account changed since ETag ${changes.ifMatch}; its ETag is now ${etagOf(account)}. Read it again and retry.`,
      );
    assertAllowed(account, "account.update");
    const running = await operationInProgress(account.id);
    if (running)
      throw new DomainError(
        "Conflict",
        `Another operation (${running.id}) is in progress on the account: wait until it ends, then retry.`,
      );
  }
  const actor = modifiedBy(principal);
  const wantsSystem = changes.identityType === "SystemAssigned";
  if (changes.identityType === "None" && hasSystemIdentity(account))
    throw new DomainError(
      "InvalidRequestContent",
      "An account's system-assigned identity cannot be removed while the account exists.",
      "identity.type",
    );
  const systemIdentity =
    wantsSystem && !hasSystemIdentity(account) ? await issueSystemAssignedIdentity(accountResourceId(account)) : null;
  const userAssigned = changes.userAssignedIdentities ?? null;
  if (userAssigned && account.encryptionType === "CustomerKey" && account.encryptionIdentity) {
    const kept = Object.keys(userAssigned).some((id) => id.toLowerCase() === account.encryptionIdentity!.toLowerCase());
    // An empty set is what identity.type asked for (None, SystemAssigned, or a PUT without identity).
    const byType = Object.keys(userAssigned).length === 0;
    if (!kept)
      throw new DomainError(
        "InvalidRequestContent",
        byType
          ? `identity.type removes the account's user-assigned identities, but ${account.encryptionIdentity} reads the account's customer key: keep UserAssigned in identity.type, or switch the key's identity (properties.encryption.identity) first.`
          : `The identity ${account.encryptionIdentity} reads the account's customer key: switch the key's identity before removing it.`,
        byType ? "identity.type" : "identity.userAssignedIdentities",
      );
  }
  const identities = {
    hasSystemIdentity: hasSystemIdentity(account) || systemIdentity !== null,
    userAssignedIdentities: userAssigned ? Object.keys(userAssigned) : userAssignedOf(account),
  };
  // Identities that leave must not be the ones the storage accounts are read with.
  if (changes.settings || userAssigned) checkSettings({ ...settingsOf(account), ...changes.settings }, identities);
  // What the account already has stays valid when the floor moved (or an older row holds more).
  const tls = changes.settings?.minimumTlsVersion;
  if (tls && tls !== account.minimumTlsVersion) checkMinimumTlsVersion(tls);
  if (changes.encryption?.type === "CustomerKey")
    checkResourceIdentity(changes.encryption.identity, identities, "properties.encryption.identity");
  const input = operationFor(account, changes.encryption);

  const result = await db().$transaction(async (tx: Prisma.TransactionClient) => {
    if (!created) await unchangedSince(account, changes, tx);
    let current = account;
    if (systemIdentity)
      current = await setSystemIdentity(current.id, systemIdentity, identities.userAssignedIdentities.length > 0, tx);
    if (userAssigned) {
      const some = Object.keys(userAssigned).length > 0;
      const type = identities.hasSystemIdentity
        ? some
          ? "SystemAssignedUserAssigned"
          : "SystemAssigned"
        : some
          ? "UserAssigned"
          : "None";
      current = await setUserAssignedIdentities(current.id, type, userAssigned, tx);
    }
    if (!created || changes.settings) current = await setSettings(current.id, changes.settings ?? {}, actor, tx);
    const of = {
      accountId: current.id,
      subscriptionId: current.subscriptionId,
      location: current.location,
      actor: principal.objectId,
    };
    const operation = input
      ? await startOperation(tx, { ...of, input }, processOwner)
      : changes.alwaysOperation
        ? await recordCompletedOperation(tx, of)
        : null;
    if (systemIdentity || userAssigned)
      await audit(
        {
          actor: principal.objectId,
          action: "account.identity",
          outcome: "success",
          subscriptionId: current.subscriptionId,
          accountId: current.id,
          detail: {
            ...(systemIdentity ? { principalId: systemIdentity.principalId } : {}),
            ...(userAssigned ? { userAssignedIdentities: Object.keys(userAssigned).join(", ") } : {}),
          },
        },
        tx,
      );
    return { operation, current };
  });
  if (input && result.operation) runInBackground(result.operation.id, processOwner);
  const fresh = (await findAccount(account))!;
  return { account: fresh, created, operation: result.operation };
}
