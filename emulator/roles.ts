/**
 * Azure's built-in role definitions that the emulator assigns: their ids (the same in every
 * cloud), names, and permissions as Azure publishes them, trimmed to the resource providers the
 * emulator serves. ARM's authorization here goes by role name (arm.ts); the permissions are what
 * `Microsoft.Authorization/permissions` answers, for clients that decide as Azure decides.
 */
export interface RolePermissions {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

const permissions = (actions: string[], more: Partial<RolePermissions> = {}): RolePermissions => ({
  actions,
  notActions: [],
  dataActions: [],
  notDataActions: [],
  ...more,
});

/** What every Key Vault and Managed Identity role may also do on the control plane. */
const supportActions = [
  "Microsoft.Authorization/*/read",
  "Microsoft.Insights/alertRules/*",
  "Microsoft.Resources/deployments/*",
  "Microsoft.Resources/subscriptions/resourceGroups/read",
  "Microsoft.Support/*",
];
const keyVaultReadActions = [
  ...supportActions,
  "Microsoft.KeyVault/checkNameAvailability/read",
  "Microsoft.KeyVault/deletedVaults/read",
  "Microsoft.KeyVault/locations/*/read",
  "Microsoft.KeyVault/vaults/*/read",
  "Microsoft.KeyVault/operations/read",
];
const keyUseDataActions = [
  "read",
  "update/action",
  "backup/action",
  "encrypt/action",
  "decrypt/action",
  "wrap/action",
  "unwrap/action",
  "sign/action",
  "verify/action",
].map((a) => `Microsoft.KeyVault/vaults/keys/${a}`);

export const roleDefinitions: Record<string, { id: string; permissions: RolePermissions }> = {
  Owner: { id: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", permissions: permissions(["*"]) },
  Contributor: {
    id: "b24988ac-6180-42a0-ab88-20f7382dd24c",
    permissions: permissions(["*"], {
      notActions: [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
      ],
    }),
  },
  Reader: { id: "acdd72a7-3385-48ef-bd42-f606fba81ae7", permissions: permissions(["*/read"]) },
  "User Access Administrator": {
    id: "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
    permissions: permissions(["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"]),
  },
  "Managed Identity Operator": {
    id: "f1a07417-d97a-45cb-824c-7a7467783830",
    permissions: permissions([
      "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
      "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
      ...supportActions,
    ]),
  },
  "Managed Identity Contributor": {
    id: "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59",
    permissions: permissions([
      "Microsoft.ManagedIdentity/userAssignedIdentities/read",
      "Microsoft.ManagedIdentity/userAssignedIdentities/write",
      "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
      "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/*",
      "Microsoft.ManagedIdentity/userAssignedIdentities/revokeTokens/action",
      ...supportActions,
    ]),
  },
  "Key Vault Contributor": {
    id: "f25e0fa2-a7c8-4377-a976-54943a77a395",
    permissions: permissions([...supportActions, "Microsoft.KeyVault/*"], {
      notActions: [
        "Microsoft.KeyVault/locations/deletedVaults/purge/action",
        "Microsoft.KeyVault/hsmPools/*",
        "Microsoft.KeyVault/managedHsms/*",
      ],
    }),
  },
  "Key Vault Administrator": {
    id: "00482a5a-887f-4fb3-b363-3b7fe8e74483",
    permissions: permissions(keyVaultReadActions, { dataActions: ["Microsoft.KeyVault/vaults/*"] }),
  },
  "Key Vault Crypto Officer": {
    id: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    permissions: permissions(keyVaultReadActions, {
      dataActions: ["Microsoft.KeyVault/vaults/keys/*", "Microsoft.KeyVault/vaults/keyrotationpolicies/*"],
    }),
  },
  "Key Vault Crypto User": {
    id: "12338af0-0e69-4776-bea7-57ae8d297424",
    permissions: permissions([], { dataActions: keyUseDataActions }),
  },
  "Key Vault Crypto Service Encryption User": {
    id: "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    permissions: permissions(
      [
        "Microsoft.EventGrid/eventSubscriptions/write",
        "Microsoft.EventGrid/eventSubscriptions/read",
        "Microsoft.EventGrid/eventSubscriptions/delete",
      ],
      {
        dataActions: [
          "Microsoft.KeyVault/vaults/keys/read",
          "Microsoft.KeyVault/vaults/keys/wrap/action",
          "Microsoft.KeyVault/vaults/keys/unwrap/action",
        ],
      },
    ),
  },
  "Key Vault Reader": {
    id: "21090545-7ca7-4776-b22c-e363652d74d2",
    permissions: permissions(keyVaultReadActions, {
      dataActions: ["Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"],
    }),
  },
};

/** Role names by definition id (lower case), as role assignments name them. */
export const builtInRoles: Record<string, string> = Object.fromEntries(
  Object.entries(roleDefinitions).map(([name, { id }]) => [id, name]),
);

/** Whether a role assigned at `assigned` applies at `target`: the same scope or one below it, by whole path segments ("kv" is not above "kv-2"). */
export function scopeIncludes(assigned: string, target: string): boolean {
  const segments = (scope: string) => `${scope.toLowerCase().replace(/\/$/, "")}/`;
  return segments(target).startsWith(segments(assigned));
}
