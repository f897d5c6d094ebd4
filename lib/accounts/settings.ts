/**
 * The account's own settings, as ARM names them on Microsoft.Media/mediaservices: tags, storage
 * accounts, storage authentication, key delivery's access control, public network access and the
 * minimum TLS version. Typed values (the portal and the REST API both pass these), and the rules that
 * hold between them.
 */
import { DomainError } from "@/lib/errors";
import { parseRange } from "@/lib/net/addresses";

export const storageAccountTypes = ["Primary", "Secondary"] as const;
export const storageAuthentications = ["System", "ManagedIdentity"] as const;
export const defaultActions = ["Allow", "Deny"] as const;
export const publicNetworkAccesses = ["Enabled", "Disabled"] as const;
export const minimumTlsVersions = ["Unspecified", "Tls10", "Tls11", "Tls12", "Tls13"] as const;

/** Which identity reads a linked resource (a storage account, the customer key). */
export interface ResourceIdentity {
  useSystemAssignedIdentity: boolean;
  userAssignedIdentity?: string;
}

export interface StorageAccountLink {
  /** The ARM id of a Microsoft.Storage (or Microsoft.ClassicStorage) storage account. */
  id: string;
  type: (typeof storageAccountTypes)[number];
  identity?: ResourceIdentity;
}

export interface AccountSettings {
  tags: Record<string, string>;
  storageAccounts: StorageAccountLink[];
  storageAuthentication: (typeof storageAuthentications)[number] | null;
  keyDelivery: { defaultAction: (typeof defaultActions)[number]; ipAllowList: string[] };
  publicNetworkAccess: (typeof publicNetworkAccesses)[number];
  minimumTlsVersion: (typeof minimumTlsVersions)[number];
}

export const defaultSettings = (): AccountSettings => ({
  tags: {},
  storageAccounts: [],
  storageAuthentication: null,
  keyDelivery: { defaultAction: "Allow", ipAllowList: [] },
  publicNetworkAccess: "Enabled",
  minimumTlsVersion: "Tls12",
});

/** The settings columns of an account row. */
export interface SettingsColumns {
  tags: unknown;
  storageAccounts: unknown;
  storageAuthentication: string | null;
  keyDeliveryDefaultAction: string;
  keyDeliveryIpAllowList: string[];
  publicNetworkAccess: string;
  minimumTlsVersion: string;
}

export function settingsOf(row: SettingsColumns): AccountSettings {
  return {
    tags: (row.tags ?? {}) as Record<string, string>,
    storageAccounts: (row.storageAccounts ?? []) as StorageAccountLink[],
    storageAuthentication: row.storageAuthentication as AccountSettings["storageAuthentication"],
    keyDelivery: {
      defaultAction: row.keyDeliveryDefaultAction as AccountSettings["keyDelivery"]["defaultAction"],
      ipAllowList: row.keyDeliveryIpAllowList ?? [],
    },
    publicNetworkAccess: row.publicNetworkAccess as AccountSettings["publicNetworkAccess"],
    minimumTlsVersion: row.minimumTlsVersion as AccountSettings["minimumTlsVersion"],
  };
}

export function settingsColumns(settings: Partial<AccountSettings>) {
  return {
    ...(settings.tags !== undefined ? { tags: settings.tags } : {}),
    ...(settings.storageAccounts !== undefined ? { storageAccounts: settings.storageAccounts as object[] } : {}),
    ...(settings.storageAuthentication !== undefined ? { storageAuthentication: settings.storageAuthentication } : {}),
    ...(settings.keyDelivery !== undefined
      ? {
          keyDeliveryDefaultAction: settings.keyDelivery.defaultAction,
          keyDeliveryIpAllowList: settings.keyDelivery.ipAllowList,
        }
      : {}),
    ...(settings.publicNetworkAccess !== undefined ? { publicNetworkAccess: settings.publicNetworkAccess } : {}),
    ...(settings.minimumTlsVersion !== undefined ? { minimumTlsVersion: settings.minimumTlsVersion } : {}),
  };
}

const invalid = (message: string, field: string) => new DomainError("InvalidRequestContent", message, field);

/** An identity choice that names exactly one identity, and one the account has. */
export function checkResourceIdentity(
  identity: ResourceIdentity,
  account: { hasSystemIdentity: boolean; userAssignedIdentities: string[] },
  field: string,
): void {
  if (identity.useSystemAssignedIdentity && identity.userAssignedIdentity)
    throw invalid(
      `${field}: useSystemAssignedIdentity is true and a userAssignedIdentity is named; they are mutually exclusive. Set useSystemAssignedIdentity to false to use ${identity.userAssignedIdentity}, or leave userAssignedIdentity out.`,
      field,
    );
  if (identity.useSystemAssignedIdentity && !account.hasSystemIdentity)
    throw invalid(
      `${field}: the account has no system-assigned identity: add SystemAssigned to identity.type, or name a user-assigned identity.`,
      field,
    );
  if (!identity.useSystemAssignedIdentity) {
    const named = identity.userAssignedIdentity;
    if (!named)
      throw invalid(`${field}: name a userAssignedIdentity, or set useSystemAssignedIdentity to true.`, field);
    if (!account.userAssignedIdentities.some((id) => id.toLowerCase() === named.toLowerCase()))
      throw invalid(
        `${field}: the identity ${named} is not one of the account's user-assigned identities: add it to identity.userAssignedIdentities first.`,
        `${field}.userAssignedIdentity`,
      );
  }
}

/** Exactly one Primary storage account when there are any, each listed once. */
export function checkStorageAccounts(storage: StorageAccountLink[]): void {
  const primaries = storage.filter((s) => s.type === "Primary").length;
  if (storage.length && primaries !== 1)
    throw invalid(
      `properties.storageAccounts: exactly one storage account must be Primary (${primaries} are).`,
      "properties.storageAccounts",
    );
  const ids = new Set<string>();
  storage.forEach((s, i) => {
    if (ids.has(s.id.toLowerCase()))
      throw invalid(
        `properties.storageAccounts[${i}]: ${s.id} is listed twice.`,
        `properties.storageAccounts[${i}].id`,
      );
    ids.add(s.id.toLowerCase());
  });
}

/** The rules between settings: one Primary storage account, identities the account has, an allow list only with Deny. */
export function checkSettings(
  settings: AccountSettings,
  account: { hasSystemIdentity: boolean; userAssignedIdentities: string[] },
): void {
  const storage = settings.storageAccounts;
  checkStorageAccounts(storage);
  storage.forEach((s, i) => {
    if (s.identity) checkResourceIdentity(s.identity, account, `properties.storageAccounts[${i}].identity`);
    else if (settings.storageAuthentication === "ManagedIdentity")
      throw invalid(
        `properties.storageAccounts[${i}].identity: storageAuthentication is ManagedIdentity, so each storage account names the identity that reads it.`,
        `properties.storageAccounts[${i}].identity`,
      );
  });
  const { defaultAction, ipAllowList } = settings.keyDelivery;
  if (defaultAction === "Allow" && ipAllowList.length)
    throw invalid(
      "properties.keyDelivery.accessControl.ipAllowList must be empty when defaultAction is Allow (every address is allowed): set defaultAction to Deny to restrict key delivery to the list.",
      "properties.keyDelivery.accessControl.ipAllowList",
    );
  ipAllowList.forEach((entry, i) => {
    if (!parseRange(entry))
      throw invalid(
        `properties.keyDelivery.accessControl.ipAllowList[${i}]: '${entry}' is not an IP address or CIDR range.`,
        `properties.keyDelivery.accessControl.ipAllowList[${i}]`,
      );
  });
}
