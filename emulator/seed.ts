/**
 * The emulator's first-start state: the demo directory (lib/demo/directory.ts) plus vaults and
 * keys. `npm start` uses it; tests start from it too and add what they need through the APIs.
 */
import { randomBytes } from "node:crypto";
import {
  demoApiAppRole,
  demoAutomationApp,
  demoPlatform,
  demoPortalApp,
  demoRegion,
  demoResourceGroup,
  demoStorageAccount,
  demoSubscriptions,
  demoTenants,
  demoUsers,
  demoVaults,
} from "@/lib/demo/directory";
import { generateKey } from "./key-crypto";
import type { AccessPolicy, KeyVersion, State, Vault } from "./state";
import { newSigningKey } from "./tokens";

const allKeyPermissions = [
  "get",
  "list",
  "create",
  "import",
  "update",
  "delete",
  "recover",
  "purge",
  "backup",
  "restore",
  "rotate",
  "wrapKey",
  "unwrapKey",
  "encrypt",
  "decrypt",
  "sign",
  "verify",
];

async function keyVersion(kty: KeyVersion["kty"], options: { size?: number; curve?: string }): Promise<KeyVersion> {
  const t = Math.floor(Date.now() / 1000);
  return {
    version: randomBytes(16).toString("hex"),
    jwk: await generateKey(kty, options),
    kty,
    keyOps: kty.startsWith("RSA")
      ? ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"]
      : ["sign", "verify"],
    attributes: { enabled: true, created: t, updated: t },
  };
}

/** A new vault with its access policies and keys (each one version), as the demo seeds and bulk seeding create them. */
export async function vault(
  base: {
    name: string;
    subscriptionId: string;
    resourceGroup: string;
    location: string;
    tenantId: string;
    purgeProtection: boolean;
  },
  accessPolicies: AccessPolicy[],
  keys: Record<string, [KeyVersion["kty"], { size?: number; curve?: string }]>,
): Promise<Vault> {
  const v: Vault = {
    name: base.name,
    subscriptionId: base.subscriptionId,
    resourceGroup: base.resourceGroup,
    location: base.location,
    properties: {
      tenantId: base.tenantId,
      sku: { family: "A", name: "standard" },
      accessPolicies,
      enableSoftDelete: true,
      softDeleteRetentionInDays: 90,
      enablePurgeProtection: base.purgeProtection,
      enableRbacAuthorization: false,
    },
    keys: {},
    deletedKeys: {},
  };
  for (const [name, [kty, options]] of Object.entries(keys)) {
    v.keys[name] = { name, versions: [await keyVersion(kty, options)] };
  }
  return v;
}

export async function demoState(): Promise<State> {
  const contoso = demoSubscriptions.contosoMedia;
  const fabrikam = demoSubscriptions.fabrikamMedia;
  const platform = demoPlatform.subscription;
  const policy = (tenantId: string, objectId: string, keys: string[]): AccessPolicy => ({
    tenantId,
    objectId,
    permissions: { keys },
  });
  const contosoPolicies = [
    policy(demoTenants.contoso.id, demoUsers.owner.objectId, allKeyPermissions),
    policy(demoTenants.contoso.id, demoUsers.reader.objectId, ["get", "list"]),
  ];
  const inContoso = {
    subscriptionId: contoso.id,
    resourceGroup: demoVaults.resourceGroup,
    tenantId: demoTenants.contoso.id,
  };
  const identityId = `/subscriptions/${platform.id}/resourceGroups/${platform.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${demoPlatform.serviceIdentity.name}`;

  const vaults = [
    await vault({ ...inContoso, ...demoVaults.compliant }, contosoPolicies, {
      "rsa-2048": ["RSA", { size: 2048 }],
      "rsa-3072": ["RSA", { size: 3072 }],
      "rsa-4096": ["RSA", { size: 4096 }],
      "rsa-hsm-3072": ["RSA-HSM", { size: 3072 }],
      "ec-p256": ["EC", { curve: "P-256" }],
    }),
    await vault({ ...inContoso, ...demoVaults.noPurgeProtection }, contosoPolicies, {
      "rsa-2048": ["RSA", { size: 2048 }],
    }),
    await vault({ ...inContoso, ...demoVaults.otherRegion }, contosoPolicies, { "rsa-2048": ["RSA", { size: 2048 }] }),
    await vault(
      {
        name: "fabrikam-kv",
        subscriptionId: fabrikam.id,
        resourceGroup: demoResourceGroup,
        location: demoRegion,
        tenantId: demoTenants.fabrikam.id,
        purgeProtection: true,
      },
      [policy(demoTenants.fabrikam.id, demoUsers.outsider.objectId, allKeyPermissions)],
      { "rsa-2048": ["RSA", { size: 2048 }] },
    ),
    await vault(
      {
        name: demoPlatform.systemVault,
        subscriptionId: platform.id,
        resourceGroup: platform.resourceGroup,
        location: demoRegion,
        tenantId: demoPlatform.tenant.id,
        purgeProtection: true,
      },
      [policy(demoPlatform.tenant.id, demoPlatform.serviceIdentity.principalId, ["get", "wrapKey", "unwrapKey"])],
      { [demoPlatform.systemKey]: ["RSA", { size: 3072 }] },
    ),
  ];

  const tenants = [demoTenants.contoso, demoTenants.fabrikam, demoPlatform.tenant];
  const subscriptions = [
    { id: contoso.id, tenantId: contoso.tenantId, displayName: contoso.displayName },
    { id: fabrikam.id, tenantId: fabrikam.tenantId, displayName: fabrikam.displayName },
    { id: platform.id, tenantId: demoPlatform.tenant.id, displayName: platform.displayName },
  ];
  const groups = [
    { subscriptionId: contoso.id, name: demoResourceGroup, location: demoRegion },
    { subscriptionId: contoso.id, name: demoVaults.resourceGroup, location: demoRegion },
    { subscriptionId: fabrikam.id, name: demoResourceGroup, location: demoRegion },
    { subscriptionId: platform.id, name: platform.resourceGroup, location: demoRegion },
  ];
  return {
    signingKey: await newSigningKey(),
    identityHeader: randomBytes(24).toString("base64url"),
    tenants: Object.fromEntries(tenants.map((t) => [t.id, { ...t }])),
    users: Object.fromEntries(
      Object.values(demoUsers).map((u) => [
        u.objectId,
        { objectId: u.objectId, tenantId: u.tenant, upn: u.upn, name: u.name },
      ]),
    ),
    apps: Object.fromEntries(
      [demoPortalApp, demoAutomationApp].map((a) => [a.clientId, { ...a, redirectUris: [...a.redirectUris] }]),
    ),
    identities: {
      [demoPlatform.serviceIdentity.principalId]: {
        principalId: demoPlatform.serviceIdentity.principalId,
        clientId: demoPlatform.serviceIdentity.clientId,
        tenantId: demoPlatform.tenant.id,
        kind: "UserAssigned",
        resourceId: identityId,
        location: demoRegion,
      },
    },
    subscriptions: Object.fromEntries(subscriptions.map((s) => [s.id, s])),
    resourceGroups: Object.fromEntries(groups.map((g) => [`${g.subscriptionId}/${g.name}`.toLowerCase(), g])),
    roleAssignments: [
      {
        id: "demo-owner",
        scope: `/subscriptions/${contoso.id}`,
        principalId: demoUsers.owner.objectId,
        roleName: "Owner",
      },
      {
        id: "demo-reader",
        scope: `/subscriptions/${contoso.id}`,
        principalId: demoUsers.reader.objectId,
        roleName: "Reader",
      },
      {
        id: "demo-outsider",
        scope: `/subscriptions/${fabrikam.id}`,
        principalId: demoUsers.outsider.objectId,
        roleName: "Owner",
      },
      {
        id: "demo-automation",
        scope: `/subscriptions/${contoso.id}`,
        principalId: demoAutomationApp.objectId,
        roleName: "Owner",
      },
    ],
    vaults: Object.fromEntries(vaults.map((v) => [v.name, v])),
    deletedVaults: {},
    storageAccounts: Object.fromEntries(
      [
        `/subscriptions/${contoso.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Storage/storageAccounts/${demoStorageAccount}`,
      ].map((id) => [id.toLowerCase(), { id, name: demoStorageAccount, location: demoRegion, kind: "StorageV2" }]),
    ),
    resourceProviderApps: [demoPortalApp.clientId],
    // The API (the portal's app registration) reads vaults as its callers: admin consent to ARM's
    // user_impersonation in each customer tenant, which on-behalf-of needs.
    consents: [demoTenants.contoso.id, demoTenants.fabrikam.id].map((tenantId) => ({
      clientId: demoPortalApp.clientId,
      tenantId,
      resource: "https://management.localhost",
      scopes: ["user_impersonation"],
    })),
    appRoleAssignments: [
      { clientId: demoAutomationApp.clientId, resource: `api://${demoPortalApp.clientId}`, role: demoApiAppRole },
    ],
    authCodes: {},
    refreshTokens: {},
  };
}
