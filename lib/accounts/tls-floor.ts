import "server-only";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import type { AccountSettings } from "./settings";

/**
 * An account's minimumTlsVersion against the deployment's TLS floor (TLS_MINIMUM_VERSION). This
 * process speaks plain HTTP behind the TLS termination in front of it, so it cannot hold a
 * connection to a higher version than that termination does: an account may ask for the floor or
 * lower (the deployment already guarantees it), never for more than it enforces.
 */

const order = ["Tls10", "Tls11", "Tls12", "Tls13"] as const;
const spoken = (v: string) => `TLS 1.${v.slice(-1)}`;

/** What a new account, or a PUT that leaves it out, gets: the floor the deployment enforces. */
export const defaultMinimumTlsVersion = (): AccountSettings["minimumTlsVersion"] => getConfig().tlsMinimumVersion;

export function checkMinimumTlsVersion(version: AccountSettings["minimumTlsVersion"]): void {
  const floor = getConfig().tlsMinimumVersion;
  if (version === "Unspecified" || order.indexOf(version) <= order.indexOf(floor)) return;
  throw new DomainError(
    "MinimumTlsVersionNotSupported",
    `properties.minimumTlsVersion: this deployment's TLS termination accepts ${spoken(floor)} and later, so it cannot hold this account's connections to ${spoken(version)} and later. Choose ${floor} or lower (or Unspecified); the operator can raise TLS_MINIMUM_VERSION once the deployment enforces ${spoken(version)}.`,
    "properties.minimumTlsVersion",
  );
}
