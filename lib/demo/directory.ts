/**
 * The demo world that `npm start` seeds, shared by the database seed and the emulator's
 * Entra ID, so that a seeded user's object id is the principal of a seeded role assignment.
 * Fixed ids keep a second start idempotent and make links in docs stable.
 */
export const demoRegion = "westus2";
export const demoOtherRegion = "eastus";

export const demoTenants = {
  contoso: { id: "5f1b5c6e-4a3e-4d0f-9a7b-0c1d2e3f4a5b", domain: "contoso.localhost", name: "Contoso" },
  fabrikam: { id: "8a2d7e10-3b4c-4e5f-8a9b-1c2d3e4f5a6b", domain: "fabrikam.localhost", name: "Fabrikam" },
} as const;

export const demoUsers = {
  owner: {
    objectId: "0c8e2f4a-6b1d-4c3e-9f5a-7b2d4e6f8a1c",
    upn: "owner@contoso.localhost",
    name: "Olivia Owner",
    tenant: demoTenants.contoso.id,
  },
  reader: {
    objectId: "1d9f3a5b-7c2e-4d4f-8a6b-8c3e5f7a9b2d",
    upn: "reader@contoso.localhost",
    name: "Ravi Reader",
    tenant: demoTenants.contoso.id,
  },
  outsider: {
    objectId: "2e0a4b6c-8d3f-4e5a-9b7c-9d4f6a8b0c3e",
    upn: "user@fabrikam.localhost",
    name: "Fatima Fabrikam",
    tenant: demoTenants.fabrikam.id,
  },
} as const;

export const demoSubscriptions = {
  contosoMedia: {
    id: "3a7c9e1f-2b4d-4f6a-8c0e-1f3a5c7e9b2d",
    displayName: "Contoso Media (demo)",
    tenantId: demoTenants.contoso.id,
  },
  fabrikamMedia: {
    id: "4b8d0f2a-3c5e-4a7b-9d1f-2a4b6d8f0c3e",
    displayName: "Fabrikam Media (demo)",
    tenantId: demoTenants.fabrikam.id,
  },
} as const;

export const demoResourceGroup = "media-rg";
/** A storage account in the Contoso media resource group, for accounts' storageAccounts. */
export const demoStorageAccount = "contosomediastore";

/** The service operator's own tenant: its vault holds the system key that wraps system-key accounts. */
export const demoPlatform = {
  tenant: { id: "6c0f2e4d-8a1b-4c3d-9e5f-3a5b7c9d1e2f", domain: "platform.localhost", name: "Media Platform" },
  subscription: {
    id: "7d1a3f5e-9b2c-4d4e-8f6a-4b6c8d0e2f3a",
    displayName: "Media Platform services",
    resourceGroup: "platform-rg",
  },
  systemVault: "platform-system-kv",
  systemKey: "account-key-root",
  /** The service's user-assigned identity, which reads the system key. */
  serviceIdentity: {
    name: "media-service",
    principalId: "8e2b4a6f-0c3d-4e5f-9a7b-5c7d9e1f3a4b",
    clientId: "9f3c5b7a-1d4e-4f6a-8b8c-6d8e0f2a4b5c",
  },
} as const;

/**
 * The portal's app registration in the emulated Entra ID. Its secret is valid only against the
 * local emulator; the azure profile takes AZURE_CLIENT_SECRET from the environment instead.
 */
export const demoPortalApp = {
  clientId: "a0d4e6f8-2b3c-4d5e-8f9a-7b9c1d3e5f6a",
  objectId: "b1e5f7a9-3c4d-4e6f-9a0b-8c0d2e4f6a7b",
  tenantId: demoTenants.contoso.id,
  secret: "local-emulator-only-portal-secret",
  name: "Media accounts portal (local)",
  /** Localhost redirect URIs match on any port, as in Entra ID. */
  redirectUris: ["http://localhost/auth/callback"],
} as const;

/**
 * The app role the API (the portal's app registration, App ID URI api://<clientId>) defines for
 * daemons: what a client-credentials token for the API carries in `roles`. The automation app holds
 * it; subscriptions are still authorized by role assignment.
 */
export const demoApiAppRole = "Accounts.ReadWrite";

/** Customer vaults seeded in the Contoso subscription: one compliant, and two that the portal must refuse. */
export const demoVaults = {
  compliant: { name: "contoso-byok", location: demoRegion, purgeProtection: true },
  noPurgeProtection: { name: "contoso-nopurge", location: demoRegion, purgeProtection: false },
  otherRegion: { name: "contoso-eastus", location: demoOtherRegion, purgeProtection: true },
  resourceGroup: "keys-rg",
} as const;

/**
 * A daemon app (client credentials) with Owner on the Contoso subscription: what an engineer's
 * script, Postman collection or test uses against the local emulator. Local only, like the portal app.
 */
export const demoAutomationApp = {
  clientId: "c2f6a8b0-4d5e-4f7a-8b1c-9d1e3f5a7b8c",
  objectId: "d3a7b9c1-5e6f-4a8b-9c2d-0e2f4a6b8c9d",
  tenantId: demoTenants.contoso.id,
  secret: "local-emulator-only-automation-secret",
  name: "Automation (local)",
  redirectUris: [] as string[],
} as const;
