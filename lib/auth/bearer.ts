import "server-only";
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { httpsRequest } from "@/lib/azure/https-request";
import { azureAgent } from "@/lib/azure/transport";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { tenantIsKnown } from "./role-store";
import type { Principal } from "./principal";

const JWKS_TTL_MS = 60 * 60 * 1000;
const JWKS_MIN_REFRESH_MS = 60 * 1000;
let jwks: { set: ReturnType<typeof createLocalJWKSet>; kids: Set<string>; fetchedAt: number } | undefined;

async function fetchJwks(url: string): Promise<JSONWebKeySet> {
  const res = await httpsRequest(url, { agent: azureAgent(), timeoutMs: 5000 });
  if (res.status !== 200) throw new Error(`JWKS: HTTP ${res.status}`);
  return JSON.parse(res.text) as JSONWebKeySet;
}

/** Entra ID's signing keys (common to every tenant), cached; refetched for an unknown kid, at most once a minute. */
async function signingKeys(kid: string | undefined) {
  const stale = !jwks || Date.now() - jwks.fetchedAt > JWKS_TTL_MS;
  const unknownKid = kid && jwks && !jwks.kids.has(kid) && Date.now() - jwks.fetchedAt > JWKS_MIN_REFRESH_MS;
  if (stale || unknownKid) {
    const keys = await fetchJwks(`${getConfig().endpoints.authorityHost}/common/discovery/v2.0/keys`);
    jwks = { set: createLocalJWKSet(keys), kids: new Set(keys.keys.map((k) => k.kid ?? "")), fetchedAt: Date.now() };
  }
  return jwks!.set;
}

const invalid = (message: string) => new DomainError("InvalidAuthenticationToken", message);

/**
 * The caller of a REST request, from `Authorization: Bearer`: signature (Entra ID's keys),
 * audience (this API), expiry, issuer (Entra ID, for the token's own tenant), and a tenant this
 * service knows. Throws DomainError with ARM's codes otherwise.
 */
export async function principalFromBearer(authorization: string | null): Promise<Principal> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) throw new DomainError("AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.");
  const config = getConfig();
  let payload: JWTPayload & { tid?: string; oid?: string; idtyp?: string; name?: string; appid?: string; azp?: string };
  try {
    const { kid } = decodeProtectedHeader(token);
    ({ payload } = await jwtVerify(token, await signingKeys(kid), { algorithms: ["RS256"], audience: config.auth.apiAudiences, clockTolerance: 60 }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new DomainError("ExpiredAuthenticationToken", "The access token has expired. Get a new token and try again.");
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === "aud") throw invalid(`The access token's audience is not this API (expected ${config.auth.apiAudiences.join(" or ")}).`);
    if (err instanceof errors.JOSEError || err instanceof TypeError) throw invalid("The access token is invalid: its signature, format or claims do not verify.");
    throw err;
  }
  const { tid, oid } = payload;
  if (!tid || !oid) throw invalid("The access token has no tid or oid claim.");
  const issuers = [`${config.endpoints.authorityHost}/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
  if (!issuers.includes(String(payload.iss))) throw invalid(`The access token's issuer '${payload.iss}' is not Entra ID for tenant ${tid}.`);
  if (!(await tenantIsKnown(tid))) {
    throw new DomainError("InvalidAuthenticationTokenTenant", `The access token is from tenant '${tid}', which holds no subscription of this service.`);
  }
  return { objectId: oid, tenantId: tid, kind: payload.idtyp === "app" ? "app" : "user", name: payload.name ?? payload.appid ?? payload.azp ?? oid };
}
