import "server-only";
import { db } from "@/lib/db/client";
import type { KeyStatus, Prisma } from "@/lib/db/generated/client";
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
  lastFailureAt: true,
  lastFailureReason: true,
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
  identityType: "None" | "SystemAssigned" | "UserAssigned" | "SystemAssignedUserAssigned",
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

/** An account's place in the dashboard's order: inaccessible first, then by name, then by id (names repeat across groups). */
export interface DashboardKey {
  keyStatus: KeyStatus;
  nameKey: string;
  id: string;
}

/**
 * Where a dashboard page starts: the first rows after (or, going back, before) an account in the
 * dashboard's order; `before` with no account is the last page.
 */
export interface DashboardCursor {
  direction: "after" | "before";
  at: DashboardKey | null;
}

/** keyStatus in the dashboard's order (keyStatus DESC: Inaccessible sorts above Active). */
const statusOrder: readonly KeyStatus[] = ["Inaccessible", "Active"];
const statusesOf = (state?: KeyStateFilter): readonly KeyStatus[] =>
  state === "CustomerKey" ? ["Active"] : state === "CustomerKeyInaccessible" ? ["Inaccessible"] : statusOrder;

// nameKey holds [a-z0-9] and ids are lower-case hex: JavaScript compares them as the database's C collation does.
const compareKeys = (a: DashboardKey, b: DashboardKey) =>
  statusOrder.indexOf(a.keyStatus) - statusOrder.indexOf(b.keyStatus) ||
  (a.nameKey < b.nameKey ? -1 : a.nameKey > b.nameKey ? 1 : 0) ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The next `take` rows of one subscription in the dashboard's order from a cursor, one key status at a
 * time: each query has equality on (subscriptionId[, encryptionType], keyStatus) and a range on
 * nameKey, so it starts in the dashboard index at the cursor and reads at most `take` entries,
 * however deep the page is (mixed directions make a row comparison over all three columns unusable).
 */
async function dashboardRows(
  subscriptionId: string,
  state: KeyStateFilter | undefined,
  cursor: DashboardCursor | undefined,
  take: number,
) {
  const backwards = cursor?.direction === "before";
  const from = cursor?.at ?? null;
  let statuses = statusesOf(state).filter((s) => !from || compareStatus(s, from.keyStatus, backwards) >= 0);
  if (backwards) statuses = [...statuses].reverse();
  const dir = backwards ? "desc" : "asc";
  const rows: (AccountRecord & { nameKey: string })[] = [];
  for (const keyStatus of statuses) {
    const beyond: Prisma.MediaAccountWhereInput =
      from && from.keyStatus === keyStatus
        ? {
            nameKey: { [backwards ? "lte" : "gte"]: from.nameKey },
            OR: [
              { nameKey: { [backwards ? "lt" : "gt"]: from.nameKey } },
              { id: { [backwards ? "lt" : "gt"]: from.id } },
            ],
          }
        : {};
    rows.push(
      ...(await db().mediaAccount.findMany({
        where: { AND: [{ subscriptionId, keyStatus }, stateWhere(state), beyond] },
        orderBy: [{ nameKey: dir }, { id: dir }],
        take: take - rows.length,
        select: { ...summarySelect, nameKey: true },
      })),
    );
    if (rows.length >= take) break;
  }
  return rows;
}

/** Whether status `s` comes at or beyond `from` in the direction of travel (0: the same status). */
const compareStatus = (s: KeyStatus, from: KeyStatus, backwards: boolean) =>
  (statusOrder.indexOf(s) - statusOrder.indexOf(from)) * (backwards ? -1 : 1);

/**
 * The accounts of these subscriptions in each state, in all and per subscription, read from
 * AccountStateCount (kept by triggers in the transaction of every change): a few rows per
 * subscription, whatever the number of accounts.
 */
export async function stateCounts(subscriptionIds: string[]) {
  const rows = await db().accountStateCount.findMany({
    where: { subscriptionId: { in: subscriptionIds.map((s) => s.toLowerCase()) } },
    select: { subscriptionId: true, encryptionType: true, keyStatus: true, count: true },
  });
  return countsOf(rows);
}

type StateCountRow = { subscriptionId: string; encryptionType: string; keyStatus: string; count: number };

/** Rows of (subscription, encryptionType, keyStatus, count) as counts per state, in all and per subscription. */
function countsOf(rows: StateCountRow[]) {
  const zero = (): Record<KeyStateFilter, number> => ({ SystemKey: 0, CustomerKey: 0, CustomerKeyInaccessible: 0 });
  const counts = zero();
  const perSubscription = new Map<string, Record<KeyStateFilter, number>>();
  for (const r of rows) {
    const state = stateFilterOf(r);
    counts[state] += r.count;
    const own = perSubscription.get(r.subscriptionId) ?? zero();
    own[state] += r.count;
    perSubscription.set(r.subscriptionId, own);
  }
  return { counts, perSubscription };
}

/**
 * One keyset page of the dashboard (at most `pageSize` accounts, `pageSize + 1` rows read per
 * subscription), the count per state, and where the pages next to it start, over subscriptions the
 * caller may read. The accounts of several subscriptions are merged in the same order.
 */
export async function dashboardPage({
  subscriptionIds,
  state,
  cursor,
  pageSize,
}: {
  subscriptionIds: string[];
  state?: KeyStateFilter;
  cursor?: DashboardCursor;
  pageSize: number;
}) {
  const backwards = cursor?.direction === "before";
  const [perSubscription, { counts }] = await Promise.all([
    Promise.all(subscriptionIds.map((s) => dashboardRows(s.toLowerCase(), state, cursor, pageSize + 1))),
    stateCounts(subscriptionIds),
  ]);
  const rows = perSubscription.flat().sort((a, b) => compareKeys(a, b) * (backwards ? -1 : 1));
  const more = rows.length > pageSize;
  const accounts = rows.slice(0, pageSize);
  if (backwards) accounts.reverse();
  const keyOf = (a: DashboardKey): DashboardKey => ({ keyStatus: a.keyStatus, nameKey: a.nameKey, id: a.id });
  const total = state ? counts[state] : counts.SystemKey + counts.CustomerKey + counts.CustomerKeyInaccessible;
  return {
    accounts,
    total,
    counts,
    /** Where the next and previous pages start, when there are such pages. */
    next: accounts.length && (backwards ? cursor?.at != null : more) ? keyOf(accounts.at(-1)!) : null,
    previous: accounts.length && (backwards ? more : cursor !== undefined) ? keyOf(accounts[0]!) : null,
  };
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
 * `pageSize` rows (read: `pageSize + 1`), with the counts per state and per subscription of that search:
 * kept in AccountStateCount, or for a name search read from the (subscriptionId, nameKey) index.
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
  const [rows, counted] = await Promise.all([
    db().mediaAccount.findMany({
      where: cursor ? { AND: [filtered, afterKeys(accountsOrder, cursor.at, cursor.direction)] } : filtered,
      orderBy: accountsOrder.map((c) => ({ [c]: backwards ? "desc" : "asc" })),
      take: pageSize + 1,
      select: { ...summarySelect, nameKey: true, resourceGroupKey: true },
    }),
    prefix ? countsOfSearch(search) : stateCounts(subscriptionIds),
  ]);
  const more = rows.length > pageSize;
  const page = rows.slice(0, pageSize);
  if (backwards) page.reverse();
  const keyOf = (a: (typeof page)[number]): [string, string, string] => [
    a.nameKey,
    a.resourceGroupKey,
    a.subscriptionId,
  ];
  return {
    accounts: page,
    counts: counted.counts,
    /** Per subscription, the accounts of the search in the state asked for (all states when none). */
    perSubscription: new Map(
      [...counted.perSubscription].map(([id, c]) => [
        id,
        state ? c[state] : c.SystemKey + c.CustomerKey + c.CustomerKeyInaccessible,
      ]),
    ),
    /** Where the next and previous pages start, when there are such pages. */
    next: page.length && (backwards || more) ? keyOf(page.at(-1)!) : null,
    previous: page.length && (backwards ? more : cursor !== undefined) ? keyOf(page[0]!) : null,
  };
}

/** The counts of a name search, which the kept counts cannot answer: read from the (subscriptionId, nameKey) index. */
async function countsOfSearch(search: Prisma.MediaAccountWhereInput) {
  const groups = await db().mediaAccount.groupBy({
    by: ["subscriptionId", "encryptionType", "keyStatus"],
    where: search,
    _count: { _all: true },
  });
  return countsOf(groups.map((g) => ({ ...g, count: g._count._all })));
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
