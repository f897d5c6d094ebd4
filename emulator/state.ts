/**
 * Everything the emulator knows, as one JSON document in the data dir. Writes are atomic
 * (write a temporary file, then rename) and serialized, so a crash or a restart never leaves a
 * half-written state and loses nothing that was acknowledged.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { JWK } from "jose";

export interface Tenant {
  id: string;
  name: string;
  domain: string;
}

export interface User {
  objectId: string;
  tenantId: string;
  upn: string;
  name: string;
}

/** An app registration with its service principal (same tenant). */
export interface App {
  clientId: string;
  objectId: string;
  tenantId: string;
  name: string;
  secret: string;
  redirectUris: string[];
}

/** A managed identity: system-assigned (bound to `resourceId`) or user-assigned (a resource itself). */
export interface Identity {
  principalId: string;
  clientId: string;
  tenantId: string;
  kind: "SystemAssigned" | "UserAssigned";
  /** The resource it belongs to (system-assigned) or its own ARM id (user-assigned). */
  resourceId: string;
  location?: string;
}

export interface Subscription {
  id: string;
  tenantId: string;
  displayName: string;
}

export interface ResourceGroup {
  subscriptionId: string;
  name: string;
  location: string;
}

export interface RoleAssignment {
  id: string;
  scope: string;
  principalId: string;
  roleName: string;
}

export interface KeyAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface KeyVersion {
  version: string;
  /** Private JWK (RSA or EC): the emulator is the vault, so it holds the key material. */
  jwk: JWK;
  kty: "RSA" | "RSA-HSM" | "EC" | "EC-HSM";
  keyOps: string[];
  attributes: KeyAttributes;
  tags?: Record<string, string>;
}

export interface KeyRecord {
  name: string;
  versions: KeyVersion[];
}

export interface DeletedKey {
  key: KeyRecord;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface AccessPolicy {
  tenantId: string;
  objectId: string;
  permissions: { keys?: string[]; secrets?: string[]; certificates?: string[] };
}

export interface Vault {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  tags?: Record<string, string>;
  properties: {
    tenantId: string;
    sku: { family: string; name: string };
    accessPolicies: AccessPolicy[];
    enableSoftDelete: boolean;
    softDeleteRetentionInDays: number;
    enablePurgeProtection: boolean;
    enableRbacAuthorization: boolean;
  };
  keys: Record<string, KeyRecord>;
  deletedKeys: Record<string, DeletedKey>;
}

export interface DeletedVault {
  vault: Vault;
  deletionDate: number;
  scheduledPurgeDate: number;
}

export interface StorageAccount {
  id: string;
  name: string;
  location: string;
  kind: string;
}

export interface State {
  /** RS256 key that signs every token the emulator issues. */
  signingKey: JWK;
  /** Shared secret of the managed identity endpoint (App Service's IDENTITY_HEADER). */
  identityHeader: string;
  tenants: Record<string, Tenant>;
  users: Record<string, User>;
  apps: Record<string, App>;
  identities: Record<string, Identity>;
  subscriptions: Record<string, Subscription>;
  resourceGroups: Record<string, ResourceGroup>;
  roleAssignments: RoleAssignment[];
  vaults: Record<string, Vault>;
  deletedVaults: Record<string, DeletedVault>;
  storageAccounts: Record<string, StorageAccount>;
  /** App registrations trusted as the Microsoft.Media resource provider (may issue its resources' identities). */
  resourceProviderApps?: string[];
  /**
   * Delegated permissions an admin consented to for an app in a tenant (Entra ID's
   * oauth2PermissionGrants): what the app may ask for on a user's behalf (on-behalf-of). ARM is
   * named `https://management.localhost`, whatever the emulator's port.
   */
  consents?: { clientId: string; tenantId: string; resource: string; scopes: string[] }[];
  /** App roles of an API (by App ID URI) assigned to client apps: what their client-credentials tokens for it carry in `roles`. */
  appRoleAssignments?: { clientId: string; resource: string; role: string }[];
  /** One-time authorization codes of the sign-in flow, short-lived. */
  authCodes: Record<
    string,
    {
      clientId: string;
      redirectUri: string;
      userId: string;
      scope: string;
      nonce?: string;
      codeChallenge?: string;
      expires: number;
    }
  >;
  refreshTokens: Record<string, { clientId: string; userId: string; scope: string; expires: number }>;
}

export class StateStore {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    readonly state: State,
  ) {}

  static async open(dir: string, create: () => Promise<State>): Promise<StateStore> {
    const file = path.join(dir, "state.json");
    await mkdir(dir, { recursive: true });
    try {
      return new StateStore(file, JSON.parse(await readFile(file, "utf8")) as State);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const store = new StateStore(file, await create());
    await store.save();
    return store;
  }

  /** Persists the current state; resolves when this and every earlier change is on disk. */
  save(): Promise<void> {
    const snapshot = JSON.stringify(this.state);
    this.writing = this.writing.then(async () => {
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, snapshot, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    return this.writing;
  }
}
