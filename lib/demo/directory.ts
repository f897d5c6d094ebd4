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
  owner: { objectId: "0c8e2f4a-6b1d-4c3e-9f5a-7b2d4e6f8a1c", upn: "owner@contoso.localhost", name: "Olivia Owner", tenant: demoTenants.contoso.id },
  reader: { objectId: "1d9f3a5b-7c2e-4d4f-8a6b-8c3e5f7a9b2d", upn: "reader@contoso.localhost", name: "Ravi Reader", tenant: demoTenants.contoso.id },
  outsider: { objectId: "2e0a4b6c-8d3f-4e5a-9b7c-9d4f6a8b0c3e", upn: "user@fabrikam.localhost", name: "Fatima Fabrikam", tenant: demoTenants.fabrikam.id },
} as const;

export const demoSubscriptions = {
  contosoMedia: { id: "3a7c9e1f-2b4d-4f6a-8c0e-1f3a5c7e9b2d", displayName: "Contoso Media (demo)", tenantId: demoTenants.contoso.id },
  fabrikamMedia: { id: "4b8d0f2a-3c5e-4a7b-9d1f-2a4b6d8f0c3e", displayName: "Fabrikam Media (demo)", tenantId: demoTenants.fabrikam.id },
} as const;

export const demoResourceGroup = "media-rg";
