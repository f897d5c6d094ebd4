import { z } from "zod";

/** Media Services account names: 3-24 lower-case letters and digits. */
export const AccountName = z
  .string()
  .trim()
  .regex(/^[a-z0-9]{3,24}$/, "Use 3 to 24 lower-case letters and digits.");
export const ResourceGroupName = z
  .string()
  .trim()
  .regex(/^[-\w.()]{1,90}$/, "Use 1 to 90 letters, digits, '-', '_', '.', '(' or ')'.")
  .refine((s) => !s.endsWith("."), "A resource group name cannot end with a period.");
export const SubscriptionId = z.uuid("A subscription id is a GUID.").transform((s) => s.toLowerCase());
/** An Azure region name as ARM writes it ("westus2"); display names ("West US 2") are folded to it. */
export const Location = z
  .string()
  .trim()
  .transform((s) => s.toLowerCase().replace(/\s+/g, ""))
  .pipe(z.string().regex(/^[a-z0-9]{2,40}$/, "Pick an Azure region, e.g. westus2."));

export const IdentityType = z.enum(["None", "SystemAssigned"]);

export const CreateAccountInput = z.object({
  subscriptionId: SubscriptionId,
  resourceGroup: ResourceGroupName,
  name: AccountName,
  location: Location,
  identityType: IdentityType.default("SystemAssigned"),
});

export const AccountRefInput = z.object({
  subscriptionId: SubscriptionId,
  resourceGroup: ResourceGroupName,
  name: AccountName,
});

/** The encryption form: a key picked from a vault (latest or a pinned version), or a pasted key URI. */
export const EncryptionInput = z
  .object({
    subscriptionId: SubscriptionId,
    resourceGroup: ResourceGroupName,
    name: AccountName,
    keySource: z.enum(["pick", "uri"]).default("pick"),
    vaultUri: z.string().trim().optional(),
    keyName: z.string().trim().optional(),
    versionMode: z.enum(["latest", "pinned"]).default("latest"),
    version: z.string().trim().optional(),
    keyUri: z.string().trim().optional(),
    /** "system", or the ARM id of one of the account's user-assigned identities. */
    identity: z.string().trim().default("system"),
  })
  .transform((form, ctx) => {
    const { keySource, vaultUri, keyName, versionMode, version, keyUri, identity, ...rest } = form;
    const ref = { ...rest, userAssignedIdentity: identity === "system" ? null : identity };
    if (keySource === "uri") {
      if (!keyUri) ctx.addIssue({ code: "custom", path: ["keyUri"], message: "Paste a key identifier." });
      return { ...ref, keyIdentifier: keyUri ?? "" };
    }
    if (!vaultUri || !keyName) ctx.addIssue({ code: "custom", path: ["keyName"], message: "Pick a vault and a key." });
    if (versionMode === "pinned" && !version)
      ctx.addIssue({ code: "custom", path: ["version"], message: "Pick the version to pin." });
    const base = `${(vaultUri ?? "").replace(/\/$/, "")}/keys/${keyName ?? ""}`;
    return { ...ref, keyIdentifier: versionMode === "pinned" ? `${base}/${version}` : base };
  });

/** Grant an account's identity the use of a key: the vault by name (looked up as the user), the key, which identity. */
export const GrantKeyAccessInput = AccountRefInput.extend({
  vault: z
    .string()
    .trim()
    .regex(/^[a-zA-Z0-9-]{3,24}$/, "Pick a key vault."),
  keyName: z
    .string()
    .trim()
    .regex(/^[a-zA-Z0-9-]{1,127}$/, "Pick a key."),
  /** "system", or the ARM id of one of the account's user-assigned identities. */
  identity: z.string().trim().default("system"),
});

/** Attach a user-assigned identity by its ARM id. */
export const AttachIdentityInput = AccountRefInput.extend({
  identityId: z.string().trim().min(1, "Paste the ARM id of a user-assigned identity."),
});
