import { z } from "zod";

/** Media Services account names: 3-24 lower-case letters and digits. */
export const AccountName = z.string().trim().regex(/^[a-z0-9]{3,24}$/, "Use 3 to 24 lower-case letters and digits.");
export const ResourceGroupName = z.string().trim().regex(/^[-\w.()]{1,90}$/, "Use 1 to 90 letters, digits, '-', '_', '.', '(' or ')'.").refine((s) => !s.endsWith("."), "A resource group name cannot end with a period.");
export const SubscriptionId = z.uuid("A subscription id is a GUID.").transform((s) => s.toLowerCase());
/** An Azure region name as ARM writes it ("westus2"); display names ("West US 2") are folded to it. */
export const Location = z.string().trim().transform((s) => s.toLowerCase().replace(/\s+/g, "")).pipe(z.string().regex(/^[a-z0-9]{2,40}$/, "Pick an Azure region, e.g. westus2."));

export const CreateAccountInput = z.object({
  subscriptionId: SubscriptionId,
  resourceGroup: ResourceGroupName,
  name: AccountName,
  location: Location,
});

export const AccountRefInput = z.object({ subscriptionId: SubscriptionId, resourceGroup: ResourceGroupName, name: AccountName });
