import "server-only";
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { httpsRequest } from "@/lib/azure/https-request";
import { azureAgent } from "@/lib/azure/transport";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { tenantIsKnown } from "./role-store";
import type { Principal } from "./principal";
import { logger } from "@/lib/observability/logger";

const JWKS_TTL_MS = 60 * 60 * 1000;
const JWKS_MIN_REFRESH_MS = 60 * 1000;
/** With no keys at all, a failed fetch is tried again sooner: nothing verifies meanwhile. */
const JWKS_RETRY_WITHOUT_KEYS_MS = 5 * 1000;
type Jwks = { set: ReturnType<typeof createLocalJWKSet>; kids: Set<string>; fetchedAt: number };
let jwks: Jwks | undefined;
let inFlight: Promise<Jwks> | undefined;
/** When a fetch last started, whether or not it succeeded: failures are rate-limited too. */
let lastAttemptAt = 0;

async function fetchJwks(url: string): Promise<JSONWebKeySet> {
  const res = await httpsRequest(url, { agent: azureAgent(), timeoutMs: 5000 });
  if (res.status !== 200) throw new Error(`JWKS: HTTP ${res.status}`);
  return JSON.parse(res.text) as JSONWebKeySet;
}

/** One fetch at a time (single flight): every request that needs the keys meanwhile waits for it. */
function refreshJwks(): Promise<Jwks> {
  lastAttemptAt = Date.now();
  inFlight ??= fetchJwks(`${getConfig().endpoints.authorityHost}/common/discovery/v2.0/keys`)
    .then(
      (keys) =>
        (jwks = {
          set: createLocalJWKSet(keys),
          kids: new Set(keys.keys.map((k) => k.kid ?? "")),
          fetchedAt: Date.now(),
        }),
    )
    .finally(() => (inFlight = undefined));
  return inFlight;
}

const signingKeysUnavailable = () =>
  new DomainError(
    "ServiceUnavailable",
    "Entra ID's signing keys cannot be read right now, so no token can be verified. Try again shortly.",
    undefined,
    Math.ceil(JWKS_RETRY_WITHOUT_KEYS_MS / 1000),
  );

/**
 * Entra ID's signing keys (common to every tenant), cached for an hour. An unknown kid refetches
 * them, at most once a minute: tokens with made-up kids must not turn into a JWKS request each.
 * A failed fetch counts as an attempt, and the keys already held keep verifying meanwhile.
 */
async function signingKeys(kid: string | undefined) {
  const sinceAttempt = Date.now() - lastAttemptAt;
  const due = sinceAttempt >= (jwks ? JWKS_MIN_REFRESH_MS : JWKS_RETRY_WITHOUT_KEYS_MS);
  const stale = !jwks || Date.now() - jwks.fetchedAt > JWKS_TTL_MS;
  const unknownKid = !!kid && !!jwks && !jwks.kids.has(kid);
  if (inFlight || (due && (stale || unknownKid))) {
    try {
      return (await refreshJwks()).set;
    } catch (err) {
      logger("auth").warn({ err }, "JWKS fetch failed");
    }
  }
  if (!jwks) throw signingKeysUnavailable();
  return jwks.set;
}

const invalid = (message: string) => new DomainError("InvalidAuthenticationToken", message);

export type EntraClaims = JWTPayload & {
  tid?: string;
  oid?: string;
  idtyp?: string;
  name?: string;
  appid?: string;
  azp?: string;
  scp?: unknown;
  roles?: unknown;
};

/**
 * Entra ID's rule for an API: accept access tokens only, with the delegated scopes (`scp`) or app
 * roles (`roles`) granted to the caller. An ID token names no client (`azp`/`appid`): it says who
 * signed in to the portal, not that anyone may call the API. ARM's app-only tokens are the one
 * exception: ARM grants apps nothing in the token and authorizes them by role assignment, which
 * is what this API does (RoleAssignment) where it stands behind ARM with ARM's audience (locally).
 */
function isAccessToken(payload: EntraClaims, armEndpoint: string): boolean {
  if (!payload.azp && !payload.appid) return false;
  if (typeof payload.scp === "string" && payload.scp.trim()) return true;
  if (Array.isArray(payload.roles) && payload.roles.length > 0) return true;
  const forArm = ([] as unknown[])
    .concat(payload.aud ?? [])
    .some((aud) => typeof aud === "string" && aud.replace(/\/+$/, "") === armEndpoint.replace(/\/+$/, ""));
  return forArm && payload.idtyp === "app";
}

/**
 * An Entra ID token's signature (Entra ID's keys, RS256 only), audience (one of `audiences`),
 * expiry, and issuer (Entra ID, for the token's own tenant, which it must name with its object
 * id). Throws DomainError with ARM's codes otherwise. What the token may do is the caller's to decide.
 */
export async function verifyEntraToken(token: string, audiences: string[]): Promise<EntraClaims> {
  const config = getConfig();
  let payload: EntraClaims;
  try {
    const { kid } = decodeProtectedHeader(token);
    ({ payload } = await jwtVerify(token, await signingKeys(kid), {
      algorithms: ["RS256"],
      audience: audiences,
      clockTolerance: 60,
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired)
      throw new DomainError(
        "ExpiredAuthenticationToken",
        "The access token has expired. Get a new token and try again.",
      );
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === "aud")
      throw invalid(`The access token's audience is not this API (expected ${audiences.join(" or ")}).`);
    if (err instanceof errors.JOSEError || err instanceof TypeError)
      throw invalid("The access token is invalid: its signature, format or claims do not verify.");
    throw err;
  }
  const { tid, oid } = payload;
  if (!tid || !oid) throw invalid("The access token has no tid or oid claim.");
  const issuers = [`${config.endpoints.authorityHost}/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
  if (!issuers.includes(String(payload.iss)))
    throw invalid(`The access token's issuer '${payload.iss}' is not Entra ID for tenant ${tid}.`);
  return payload;
}

/**
 * The caller of a REST request, from `Authorization: Bearer`: an Entra ID token for this API
 * (verifyEntraToken), an access token with scopes or roles, and a tenant this service knows.
 * Throws DomainError with ARM's codes otherwise.
 */
export async function principalFromBearer(authorization: string | null): Promise<Principal> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token)
    throw new DomainError(
      "AuthenticationFailed",
      "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.",
    );
  const config = getConfig();
  const payload = await verifyEntraToken(token, config.auth.apiAudiences);
  const tid = payload.tid!;
  const oid = payload.oid!;
  if (!isAccessToken(payload, config.endpoints.armEndpoint)) {
    throw invalid(
      "The token is not an access token for this API: it grants no scope (scp) or app role (roles) to a client. ID tokens are not accepted.",
    );
  }
  if (!(await tenantIsKnown(tid))) {
    throw new DomainError(
      "InvalidAuthenticationTokenTenant",
      `The access token is from tenant '${tid}', which holds no subscription of this service.`,
    );
  }
  return {
    objectId: oid,
    tenantId: tid,
    kind: payload.idtyp === "app" || !payload.scp ? "app" : "user",
    name: payload.name ?? payload.appid ?? payload.azp ?? oid,
  };
}
