import "server-only";
import { db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client";
import { afterKeys, pageArgs, type RowPage } from "@/lib/db/row-page";
import { nameKey } from "./names";
import { settingsColumns, type AccountSettings } from "./settings";
import { createdByColumns, modifiedByColumns, type Actor } from "./system-data";

export const summarySelect = {
  id: true,
  subscriptionId: true,
  resourceGroup: true,
  name: true,
  location: true,
  identityType: true,
  principalId: true,
  clientId: true,
  tenantId: true,
  userAssignedIdentities: true,
  encryptionType: true,
  keyIdentifier: true,
  encryptionIdentity: true,
  version: true,
  keyStatus: true,
  keyStatusReason: true,
  keyStatusMessage: true,
  unreachableSince: true,
  unreachableReason: true,
  lastCheckAt: true,
  lastSuccessAt: true,
  nextCheckAt: true,
  createdAt: true,
  updatedAt: true,
  provisioningState: true,
  tags: true,
  storageAccounts: true,
  storageAuthentication: true,
  keyDeliveryDefaultAction: true,
  keyDeliveryIpAllowList: true,
  publicNetworkAccess: true,
  minimumTlsVersion: true,
  createdBy: true,
  createdByType: true,
  lastModifiedBy: true,
  lastModifiedByType: true,
  accountKey: { select: { wrappedBy: true } },
} satisfies Prisma.MediaAccountSelect;

export type AccountRecord = Prisma.MediaAccountGetPayload<{ select: typeof summarySelect }>;

export interface AccountRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

// Resource group and account names compare case-insensitively and exactly, by their keys; ids are stored lower-case.
const where = (ref: AccountRef) => ({
  subscriptionId_resourceGroupKey_nameKey: {
    subscriptionId: ref.subscriptionId.toLowerCase(),
    resourceGroupKey: nameKey(ref.resourceGroup),
    nameKey: nameKey(ref.name),
  },
});

/**
 * Accounts of the given subscriptions (which the caller has checked it may read): all of them, by
 * name, or one page of them (at most `page.take` rows read, by the index on subscription and name).
 */
export async function listAccounts({
  subscriptionIds,
  resourceGroup,
  page,
}: {
  subscriptionIds: string[];
  resourceGroup?: string;
  page?: RowPage;
}): Promise<AccountRecord[]> {
  const scope: Prisma.MediaAccountWhereInput = {
    subscriptionId: { in: subscriptionIds.map((s) => s.toLowerCase()) },
    ...(resourceGroup ? { resourceGroupKey: nameKey(resourceGroup) } : {}),
  };
  const order: Prisma.MediaAccountOrderByWithRelationInput[] = [{ name: "asc" }];
  return db().mediaAccount.findMany({ ...pageArgs(scope, page, order), select: summarySelect });
}

export async function findAccount(ref: AccountRef): Promise<AccountRecord | null> {
  return db().mediaAccount.findUnique({ where: where(ref), select: summarySelect });
}

export type NewAccount = AccountRef & {
  id: string;
  location: string;
  identity: { principalId: string; clientId: string; tenantId: string } | null;
  accountKey: Prisma.AccountKeyCreateWithoutAccountInput;
  settings?: Partial<AccountSettings>;
  /** systemData: who creates it. */
  actor?: Actor;
};

export async function insertAccount(data: NewAccount, tx?: Prisma.TransactionClient): Promise<AccountRecord> {
  return (tx ?? db()).mediaAccount.create({
    data: {
      id: data.id,
      subscriptionId: data.subscriptionId.toLowerCase(),
      resourceGroup: data.resourceGroup,
      name: data.name,
      resourceGroupKey: nameKey(data.resourceGroup),
      nameKey: nameKey(data.name),
      location: data.location,
      identityType: data.identity ? "SystemAssigned" : "None",
      ...(data.identity ?? {}),
      ...settingsColumns(data.settings ?? {}),
      ...(data.actor ? createdByColumns(data.actor) : {}),
      accountKey: { create: data.accountKey },
    },
    select: summarySelect,
  });
}

/** Sets the account's user-assigned identities (ARM id → principal and client ids). */
export async function setUserAssignedIdentities(
  id: string,
  identityType: "UserAssigned" | "SystemAssignedUserAssigned",
  identities: Record<string, { principalId: string; clientId: string }>,
  tx?: Prisma.TransactionClient,
): Promise<AccountRecord> {
  return (tx ?? db()).mediaAccount.update({
    where: { id },
    data: { identityType, userAssignedIdentities: identities, version: { increment: 1 } },
    select: summarySelect,
  });
}

/** Gives an existing account its system-assigned identity. */
export async function setSystemIdentity(
  id: string,
  identity: { principalId: string; clientId: string; tenantId: string },
  hasUserAssigned: boolean,
  tx?: Prisma.TransactionClient,
): Promise<AccountRecord> {
  const identityType = hasUserAssigned ? "SystemAssignedUserAssigned" : "SystemAssigned";
  return (tx ?? db()).mediaAccount.update({
    where: { id },
    data: { identityType, ...identity, version: { increment: 1 } },
    select: summarySelect,
  });
}

/** Writes the settings given (the others stay) and who changed the account. */
export async function setSettings(
  id: string,
  settings: Partial<AccountSettings>,
  actor: Actor,
  tx?: Prisma.TransactionClient,
): Promise<AccountRecord> {
  return (tx ?? db()).mediaAccount.update({
    where: { id },
    data: {
      ...settingsColumns(settings),
      ...modifiedByColumns(actor),
      version: { increment: 1 },
    },
    select: summarySelect,
  });
}

export async function removeAccount(id: string, tx?: Prisma.TransactionClient): Promise<void> {
  await (tx ?? db()).mediaAccount.delete({ where: { id } });
}

export type KeyStateFilter = "SystemKey" | "CustomerKey" | "CustomerKeyInaccessible";

const stateWhere = (state?: KeyStateFilter): Prisma.MediaAccountWhereInput =>
  state === "SystemKey"
    ? { encryptionType: "SystemKey" }
    : state === "CustomerKey"
      ? { encryptionType: "CustomerKey", keyStatus: "Active" }
      : state === "CustomerKeyInaccessible"
        ? { encryptionType: "CustomerKey", keyStatus: "Inaccessible" }
        : {};

/** One page of the dashboard, and the count per state, over subscriptions the caller may read. */
export async function dashboardPage({
  subscriptionIds,
  state,
  page,
  pageSize,
}: {
  subscriptionIds: string[];
  state?: KeyStateFilter;
  page: number;
  pageSize: number;
}) {
  const scope = { subscriptionId: { in: subscriptionIds } };
  // The page reads 50 index entries (dashboard indexes of MediaAccount); the counts are one
  // index-only pass, and the filtered total is one of them, so no second pass counts it.
  const [accounts, groups] = await Promise.all([
    db().mediaAccount.findMany({
      where: { ...scope, ...stateWhere(state) },
      select: summarySelect,
      orderBy: [{ keyStatus: "desc" }, { name: "asc" }],
      skip: page * pageSize,
      take: pageSize,
    }),
    db().mediaAccount.groupBy({ by: ["encryptionType", "keyStatus"], where: scope, _count: { _all: true } }),
  ]);
  const counts: Record<KeyStateFilter, number> = { SystemKey: 0, CustomerKey: 0, CustomerKeyInaccessible: 0 };
  for (const g of groups) counts[stateFilterOf(g)] += g._count._all;
  const total = state ? counts[state] : counts.SystemKey + counts.CustomerKey + counts.CustomerKeyInaccessible;
  return { accounts, total, counts };
}

/** Where a page of the accounts list starts: the first row after (or before) this account in the list's order. */
export interface AccountsCursor {
  direction: "after" | "before";
  /** nameKey, resourceGroupKey, subscriptionId: the list's order, which is unique. */
  at: [string, string, string];
}

const accountsOrder = ["nameKey", "resourceGroupKey", "subscriptionId"] as const;

/**
 * One page of the portal's accounts list over subscriptions the caller may read: a name prefix (case-
 * insensitive: names are lower-case), a key state and a subscription, and a keyset page of at most
 * `pageSize` rows (read: `pageSize + 1`), with the counts per state and per subscription of that search,
 * each an index read (subscriptionId, nameKey / encryptionType, keyStatus), never the rows themselves.
 */
export async function accountsPage({
  subscriptionIds,
  prefix,
  state,
  cursor,
  pageSize,
}: {
  subscriptionIds: string[];
  prefix?: string;
  state?: KeyStateFilter;
  cursor?: AccountsCursor;
  pageSize: number;
}) {
  const search: Prisma.MediaAccountWhereInput = {
    subscriptionId: { in: subscriptionIds.map((s) => s.toLowerCase()) },
    // gte as well as LIKE: the index on (subscriptionId, nameKey) starts there under any collation.
    ...(prefix ? { nameKey: { startsWith: prefix.toLowerCase(), gte: prefix.toLowerCase() } } : {}),
  };
  const filtered = { AND: [search, stateWhere(state)] };
  const backwards = cursor?.direction === "before";
  const [rows, byState, bySubscription] = await Promise.all([
    db().mediaAccount.findMany({
      where: cursor ? { AND: [filtered, afterKeys(accountsOrder, cursor.at, cursor.direction)] } : filtered,
      orderBy: accountsOrder.map((c) => ({ [c]: backwards ? "desc" : "asc" })),
      take: pageSize + 1,
      select: { ...summarySelect, nameKey: true, resourceGroupKey: true },
    }),
    db().mediaAccount.groupBy({ by: ["encryptionType", "keyStatus"], where: search, _count: { _all: true } }),
    db().mediaAccount.groupBy({
      by: ["subscriptionId"],
      where: { AND: [search, stateWhere(state)] },
      _count: { _all: true },
    }),
  ]);
  const more = rows.length > pageSize;
  const page = rows.slice(0, pageSize);
  if (backwards) page.reverse();
  const counts: Record<KeyStateFilter, number> = { SystemKey: 0, CustomerKey: 0, CustomerKeyInaccessible: 0 };
  for (const g of byState) counts[stateFilterOf(g)] += g._count._all;
  const keyOf = (a: (typeof page)[number]): [string, string, string] => [
    a.nameKey,
    a.resourceGroupKey,
    a.subscriptionId,
  ];
  return {
    accounts: page,
    counts,
    perSubscription: new Map(bySubscription.map((g) => [g.subscriptionId, g._count._all])),
    /** Where the next and previous pages start, when there are such pages. */
    next: page.length && (backwards || more) ? keyOf(page.at(-1)!) : null,
    previous: page.length && (backwards ? more : cursor !== undefined) ? keyOf(page[0]!) : null,
  };
}

const stateFilterOf = (g: { encryptionType: string; keyStatus: string }): KeyStateFilter =>
  g.encryptionType === "SystemKey"
    ? "SystemKey"
    : g.keyStatus === "Inaccessible"
      ? "CustomerKeyInaccessible"
      : "CustomerKey";

/** The latest state changes and re-wraps of the caller's accounts. */
export async function recentTransitions({ subscriptionIds, take }: { subscriptionIds: string[]; take: number }) {
  return db().keyTransition.findMany({
    where: { account: { subscriptionId: { in: subscriptionIds } } },
    orderBy: { id: "desc" },
    take,
    select: {
      id: true,
      at: true,
      fromState: true,
      toState: true,
      reason: true,
      detail: true,
      account: { select: { name: true, subscriptionId: true, resourceGroup: true } },
    },
  });
}

/** When and to what the accounts of these subscriptions changed state since a time: what the dashboard's chart counts. */
export async function transitionsSince({ subscriptionIds, since }: { subscriptionIds: string[]; since: Date }) {
  return db().keyTransition.findMany({
    where: { account: { subscriptionId: { in: subscriptionIds } }, at: { gte: since } },
    orderBy: { id: "desc" },
    take: 10_000,
    select: { at: true, toState: true, reason: true },
  });
}

/**
 * The accounts, of the given subscriptions (which the caller has checked it may read), whose
 * account key a version of this key wraps now: `keyId` is the versionless key id.
 */
export async function accountsWrappedByKey({ keyId, subscriptionIds }: { keyId: string; subscriptionIds: string[] }) {
  return db().accountKey.findMany({
    where: {
      wrappedBy: { startsWith: `${keyId}/`, mode: "insensitive" },
      account: { subscriptionId: { in: subscriptionIds.map((s) => s.toLowerCase()) } },
    },
    select: {
      wrappedBy: true,
      account: { select: { id: true, subscriptionId: true, resourceGroup: true, name: true, keyIdentifier: true } },
    },
    orderBy: { account: { name: "asc" } },
  });
}
