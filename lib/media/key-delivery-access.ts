/**
 * Key delivery's network rules of an account, as Azure Media Services has them:
 * `keyDelivery.accessControl` (defaultAction Allow, or Deny with an `ipAllowList` of addresses
 * and CIDR ranges) and `publicNetworkAccess` (Disabled: only the allow list, since this service
 * has no private endpoints). Pure: settings and a client address in, a decision out.
 */
import { inRanges } from "@/lib/net/addresses";

export interface KeyDeliveryAccess {
  defaultAction: string;
  ipAllowList: readonly string[] | null;
  publicNetworkAccess: string;
}

export type KeyDeliveryDecision = { allowed: true } | { allowed: false; message: string };

export function keyDeliveryDecision(access: KeyDeliveryAccess, clientAddress: string | null): KeyDeliveryDecision {
  const restricted = access.defaultAction === "Deny" || access.publicNetworkAccess === "Disabled";
  if (!restricted) return { allowed: true };
  if (clientAddress && inRanges(clientAddress, access.ipAllowList ?? [])) return { allowed: true };
  return {
    allowed: false,
    message:
      access.publicNetworkAccess === "Disabled"
        ? "The account's public network access is disabled, and this address is not in its key delivery allow list."
        : "This address is not in the account's key delivery allow list.",
  };
}
