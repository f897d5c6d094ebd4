import "server-only";
import { decodeJwt } from "jose";
import { portalMsal } from "@/lib/auth/msal";
import type { Principal } from "@/lib/auth/principal";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { boundedCache } from "@/lib/observability/bounded-cache";

/** An on-behalf-of token is exchanged again this long before it expires, so no request carries one that lapses in flight. */
const REFRESH_MARGIN_MS = 5 * 60_000;
const MAX_CACHED_CALLERS = 10_000;
const cache = boundedCache<string, { token: string; refreshAt: number }>("on-behalf-of-tokens", MAX_CACHED_CALLERS);
const inFlight = new Map<string, Promise<string>>();

type MsalError = { errorCode?: string; subError?: string; errorMessage?: string; message?: string };

async function exchange(
  caller: Pick<Principal, "tenantId" | "objectId">,
  assertion: string,
  key: string,
): Promise<string> {
  const { auth, endpoints } = getConfig();
  try {
    const result = await portalMsal().acquireTokenOnBehalfOf({
      oboAssertion: assertion,
      scopes: [`${endpoints.armEndpoint}/user_impersonation`],
      authority: `${endpoints.authorityHost}/${caller.tenantId}`,
      skipCache: true,
    });
    if (!result?.accessToken) throw new Error("Entra ID answered the on-behalf-of request without a token");
    cache.set(key, {
      token: result.accessToken,
      refreshAt: (result.expiresOn?.getTime() ?? Date.now()) - REFRESH_MARGIN_MS,
    });
    return result.accessToken;
  } catch (err) {
    const { errorCode, subError, errorMessage, message } = err as MsalError;
    const said = errorMessage ?? message ?? "";
    if (subError === "consent_required" || said.includes("AADSTS65001")) {
      throw new DomainError(
        "ConsentRequired",
        `Your tenant has not consented to this service (app ${auth.clientId}) calling Azure Resource Manager on your behalf (AADSTS65001): an administrator of tenant ${caller.tenantId} grants it admin consent for Azure Service Management (user_impersonation).`,
      );
    }
    if (errorCode === "invalid_grant") {
      throw new DomainError(
        "InvalidAuthenticationToken",
        `Entra ID refused to exchange your token for Azure Resource Manager (on-behalf-of): ${/AADSTS\d+/.exec(said)?.[0] ?? "invalid_grant"}. Get a new token and try again.`,
      );
    }
    throw err;
  }
}

/**
 * An ARM token as the caller, from Entra ID's on-behalf-of flow with the API's own app registration
 * (the portal's): the API reads vaults and identities with the caller's rights, never its own.
 * Cached per caller until shortly before it expires, and one exchange at a time per caller.
 */
export function armTokenOnBehalfOf(
  caller: Pick<Principal, "tenantId" | "objectId">,
  assertion: string,
): Promise<string> {
  const key = `${caller.tenantId}/${caller.objectId}`;
  const cached = cache.get(key);
  if (cached && Date.now() < cached.refreshAt) return Promise.resolve(cached.token);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = exchange(caller, assertion, key).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

const sameUrl = (a: unknown, b: string) =>
  typeof a === "string" && a.replace(/\/+$/, "").toLowerCase() === b.replace(/\/+$/, "").toLowerCase();

/**
 * How the API reaches ARM as the caller of a request whose bearer token it has verified, asked for
 * only when a request needs it (and then once): the caller's own token where it is ARM's (through
 * ARM's front door, locally); an on-behalf-of token for a user who called the API directly (as in
 * Azure); null for a daemon (client credentials), which has no user to act for.
 */
export function callerArmToken(principal: Principal, bearer: string): () => Promise<string | null> {
  const { armEndpoint } = getConfig().endpoints;
  if ([decodeJwt(bearer).aud].flat().some((aud) => sameUrl(aud, armEndpoint))) return async () => bearer;
  if (principal.kind !== "user") return async () => null;
  let token: Promise<string> | undefined;
  return () => (token ??= armTokenOnBehalfOf(principal, bearer));
}
