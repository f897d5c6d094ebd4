/**
 * The emulator's token service: RS256 JWTs signed with one key whose public half is served as
 * JWKS, verified on every call (signature, issuer, audience, expiry, not-before), unlike
 * emulators that only check that a token is present.
 */
import { randomUUID } from "node:crypto";
import {
  SignJWT,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  errors,
  type JWK,
  type JWTPayload,
} from "jose";

/** The claims the emulator puts in its tokens (Entra ID's names). */
export interface IssuedClaims {
  tid: string;
  sub?: string;
  aud: string;
  oid: string;
  /** The client (app or managed identity) the token was issued to. */
  appid?: string;
  azp?: string;
  scp?: string;
  roles?: string[];
  idtyp?: "app" | "user";
  name?: string;
  preferred_username?: string;
  nonce?: string;
  xms_mirid?: string;
}

export type TokenClaims = JWTPayload & IssuedClaims;

export type TokenFailure = "malformed" | "signature" | "expired" | "not-yet-valid" | "audience" | "issuer";

export class TokenError extends Error {
  constructor(
    readonly reason: TokenFailure,
    message: string,
  ) {
    super(message);
  }
}

export async function newSigningKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true, modulusLength: 2048 });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "RS256", use: "sig" };
}

function publicHalf(jwk: JWK): JWK {
  const { kty, n, e, kid, alg, use } = jwk;
  return { kty, n, e, kid, alg, use };
}

export class TokenService {
  private readonly jwks;

  constructor(
    private readonly signingKey: JWK,
    /** Base URL of the emulated Entra ID, e.g. https://localhost:8443 */
    readonly authority: string,
  ) {
    this.jwks = createLocalJWKSet({ keys: [publicHalf(signingKey)] });
  }

  publicJwks() {
    return { keys: [publicHalf(this.signingKey)] };
  }

  issuer(tenantId: string): string {
    return `${this.authority}/${tenantId}/v2.0`;
  }

  async issue(claims: IssuedClaims, lifetimeSeconds = 3600): Promise<{ token: string; expiresOn: number }> {
    const key = await importJWK(this.signingKey, "RS256");
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ...claims, ver: "2.0", uti: randomUUID() })
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: this.signingKey.kid })
      .setIssuer(this.issuer(claims.tid))
      .setSubject(claims.sub ?? claims.oid)
      .setIssuedAt(now)
      .setNotBefore(now - 60)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(key);
    return { token, expiresOn: now + lifetimeSeconds };
  }

  /** Verifies a bearer token for one of `audiences`; the issuer must be this authority's, for the token's own tenant. */
  async verify(token: string, audiences: string[]): Promise<TokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, { algorithms: ["RS256"], clockTolerance: 60 }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new TokenError("expired", "The token is expired.");
      if (err instanceof errors.JWTClaimValidationFailed && err.claim === "nbf")
        throw new TokenError("not-yet-valid", "The token is not yet valid.");
      if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
        throw new TokenError("signature", "The token's signature is invalid.");
      }
      throw new TokenError("malformed", "The token is malformed.");
    }
    const claims = payload as TokenClaims;
    if (typeof claims.tid !== "string" || typeof claims.oid !== "string")
      throw new TokenError("malformed", "The token has no tid or oid claim.");
    if (claims.iss !== this.issuer(claims.tid))
      throw new TokenError("issuer", `The token's issuer ${claims.iss} is not valid for tenant ${claims.tid}.`);
    const aud = ([] as unknown[]).concat(claims.aud ?? []);
    const wanted = audiences.map(trimSlash);
    if (!aud.some((a) => typeof a === "string" && wanted.includes(trimSlash(a)))) {
      throw new TokenError("audience", `The token's audience ${aud.join(", ")} is not ${audiences.join(" or ")}.`);
    }
    return claims;
  }
}

const trimSlash = (s: string) => s.replace(/\/+$/, "").toLowerCase();

/** `https://vault.localhost/.default` → `https://vault.localhost`; OIDC-only scopes → null. */
export function resourceOfScopes(scope: string): string | null {
  for (const s of scope.split(/\s+/).filter(Boolean)) {
    if (["openid", "profile", "email", "offline_access"].includes(s)) continue;
    const slash = s.lastIndexOf("/");
    return slash > 0 ? s.slice(0, slash) : s;
  }
  return null;
}
