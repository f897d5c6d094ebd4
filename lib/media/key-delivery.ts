import "server-only";
import type { KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import { decide } from "@/lib/accounts/policy";
import { json } from "@/lib/arm/http";
import { db } from "@/lib/db/client";
import { armErrorBody, DomainError } from "@/lib/errors";
import { accountKey } from "@/lib/keys/hierarchy";
import {
  CONTENT_KEY_ID_CLAIM,
  contentKeyPolicyTypes as odata,
  rsaKeyWeakness,
  tokenPublicKey,
  type StoredOption,
} from "./content-key-policies";
import { openSecret } from "./secrets";

/**
 * Key delivery: a player asks for a content key (AES-128 clear key, as HLS does) by key id,
 * with a JWT that the content key policy's restriction verifies. It reads the account's state
 * on every request (so streaming stops the moment the account's customer key is inaccessible),
 * and costs no Key Vault call while the account key is cached.
 */
const Ids = z.object({ mediaServiceId: z.uuid(), kid: z.uuid() });

/** Players fetch keys from pages on other origins; no cookie is ever involved, so any origin may ask. */
export const corsHeaders = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type",
  "Access-Control-Max-Age": "600",
};

const unauthorized = (message: string) => new DomainError("InvalidToken", message);

/**
 * A player is told that a key cannot be delivered now, never why: the account's state, its vault
 * and its key are for the account's owners, who read them through the REST API.
 */
const unavailable = () => new DomainError("ContentKeyUnavailable", "The content key cannot be delivered now.");

/**
 * The request's bearer token, if it is a well-formed JWT, else 401. Checked before any database or
 * Key Vault work, so that a request without one costs nothing and learns nothing, not even
 * whether the account exists. Every request needs one, even where the policy has an open
 * restriction (which then does not verify it).
 */
function bearerToken(authorization: string | null): string {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) throw unauthorized("Send the token as Authorization: Bearer <jwt>.");
  try {
    decodeProtectedHeader(token);
    decodeJwt(token);
  } catch {
    throw unauthorized("The token is not a valid JWT.");
  }
  return token;
}

/** The account key for delivery: a definitive refusal from Key Vault reaches the player as `unavailable`, a Key Vault outage as 503. */
async function accountKeyForDelivery(...args: Parameters<typeof accountKey>): Promise<Buffer> {
  try {
    return await accountKey(...args);
  } catch (err) {
    if (err instanceof DomainError && err.code !== "KeyVaultUnavailable") throw unavailable();
    throw err;
  }
}

/** A refusal as the player sees it: the error JSON, a Bearer challenge on 401, Retry-After when Key Vault did not answer. */
function refusalResponse(err: DomainError) {
  const headers: Record<string, string> = { ...corsHeaders };
  if (err.status === 401) headers["WWW-Authenticate"] = 'Bearer error="invalid_token"';
  if (err.code === "KeyVaultUnavailable") headers["Retry-After"] = String(err.retryAfterSeconds ?? 10);
  return json(err.status, armErrorBody(err), headers);
}

/** How to verify with one stored key; null for a weak key saved before such keys were refused, which verifies nothing. */
function verificationKey(
  key: StoredTokenKey,
  secrets: Map<string, Buffer>,
): { key: Uint8Array | KeyObject; algorithms: string[] } | null {
  if (key["@odata.type"] === odata.symmetric)
    return { key: new Uint8Array(secrets.get(key.slot)!), algorithms: ["HS256", "HS384", "HS512"] };
  const publicKey = tokenPublicKey(key);
  if (rsaKeyWeakness(publicKey)) return null;
  return {
    key: publicKey,
    algorithms: key["@odata.type"] === odata.rsa ? ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] : ["RS256"],
  };
}
type TokenRestriction = Extract<StoredOption["restriction"], { keys: unknown }>;
type StoredTokenKey = TokenRestriction["keys"][number];

/** Verifies the token against one token restriction: a key that signed it, issuer, audience, expiry, required claims. */
async function verifyToken(
  token: string,
  restriction: TokenRestriction,
  secrets: Map<string, Buffer>,
  kid: string,
): Promise<void> {
  let payload: JWTPayload | undefined;
  for (const stored of restriction.keys) {
    const verifier = verificationKey(stored, secrets);
    if (!verifier) continue;
    const { key, algorithms } = verifier;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms,
        issuer: restriction.issuer,
        audience: restriction.audience,
        requiredClaims: ["exp"],
        clockTolerance: 60,
      }));
      break;
    } catch (err) {
      if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) continue;
      if (err instanceof errors.JWTExpired) throw unauthorized("The token has expired.");
      if (err instanceof errors.JWTClaimValidationFailed)
        throw unauthorized(`The token's ${err.claim} claim does not match the content key policy.`);
      throw unauthorized("The token is not a valid JWT.");
    }
  }
  if (!payload) throw unauthorized("The token's signature does not verify with the content key policy's keys.");
  for (const claim of restriction.requiredClaims) {
    const actual = payload[claim.claimType];
    if (claim.claimType === CONTENT_KEY_ID_CLAIM) {
      const expected = claim.claimValue ?? kid;
      if (typeof actual !== "string" || actual.toLowerCase() !== expected.toLowerCase())
        throw unauthorized("The token is not for this content key.");
    } else if (actual === undefined || (claim.claimValue != null && String(actual) !== claim.claimValue)) {
      throw unauthorized(`The token lacks the required claim ${claim.claimType}.`);
    }
  }
}

/** Everything one key request needs, in one round trip: the account's state and wrapped key, the content key, its locator and policy. */
interface DeliveryFacts {
  encryptionType: "SystemKey" | "CustomerKey";
  keyStatus: "Active" | "Inaccessible";
  keyStatusReason: string | null;
  keyStatusMessage: string | null;
  keyIdentifier: string | null;
  clientId: string | null;
  encryptionIdentity: string | null;
  userAssignedIdentities: unknown;
  wrapped: Uint8Array | null;
  wrappedBy: string | null;
  ownerId: string | null;
  sealed: Uint8Array | null;
  startTime: Date | null;
  endTime: Date | null;
  policyId: string | null;
  options: StoredOption[] | null;
  tokenKeys: { name: string; sealed: string }[] | null;
}

function readFacts(mediaServiceId: string, kid: string): Promise<DeliveryFacts[]> {
  return db().$queryRaw<DeliveryFacts[]>`
    SELECT a."encryptionType", a."keyStatus", a."keyStatusReason", a."keyStatusMessage", a."keyIdentifier", a."clientId", a."encryptionIdentity", a."userAssignedIdentities",
           k.wrapped, k."wrappedBy", s."ownerId", s.sealed, l."startTime", l."endTime", p.id AS "policyId", p.options,
           (SELECT json_agg(json_build_object('name', t.name, 'sealed', encode(t.sealed, 'base64')))
              FROM "AccountSecret" t WHERE t."accountId" = a.id AND t."ownerId" = p.id AND t.kind = 'tokenKey') AS "tokenKeys"
    FROM "MediaAccount" a
    LEFT JOIN "AccountKey" k ON k."accountId" = a.id
    LEFT JOIN "AccountSecret" s ON s."accountId" = a.id AND s.kind = 'contentKey' AND s.name = ${kid}
    LEFT JOIN "StreamingLocator" l ON l."accountId" = a.id AND l.id = s."ownerId"
    LEFT JOIN "ContentKeyPolicy" p ON p."accountId" = a.id AND p.name = l."defaultContentKeyPolicyName"
    WHERE a.id = ${mediaServiceId}::uuid`;
}

async function contentKey(mediaServiceId: string, kid: string, token: string): Promise<Buffer> {
  const [facts] = await readFacts(mediaServiceId, kid);
  const contentKeyNotFound = new DomainError("ContentKeyNotFound", "No such content key.");
  if (!facts) throw contentKeyNotFound;
  if (!decide(facts, "keyDelivery").allowed) throw unavailable();
  if (!facts.sealed || !facts.ownerId || !facts.policyId || !facts.options) throw contentKeyNotFound;
  const now = Date.now();
  if ((facts.startTime && facts.startTime.getTime() > now) || (facts.endTime && facts.endTime.getTime() < now)) {
    throw new DomainError(
      "StreamingLocatorNotActive",
      "The streaming locator of this key is outside its start and end time.",
    );
  }
  const key = await accountKeyForDelivery(
    { ...facts, id: mediaServiceId },
    facts.wrapped && facts.wrappedBy ? { wrapped: facts.wrapped, wrappedBy: facts.wrappedBy } : null,
  );
  const options = facts.options.filter((o) => o.configuration["@odata.type"] === odata.clearKey);
  if (!options.some((o) => o.restriction["@odata.type"] === odata.open)) {
    const secrets = new Map(
      (facts.tokenKeys ?? []).map((t) => [
        t.name,
        openSecret(mediaServiceId, key, {
          kind: "tokenKey",
          ownerId: facts.policyId!,
          name: t.name,
          sealed: Buffer.from(t.sealed, "base64"),
        }),
      ]),
    );
    let refusal: DomainError | undefined;
    for (const option of options) {
      try {
        await verifyToken(token, option.restriction as TokenRestriction, secrets, kid);
        refusal = undefined;
        break;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        refusal ??= err;
      }
    }
    if (refusal || !options.length)
      throw refusal ?? new DomainError("NoClearKeyOption", "The content key policy has no clear key option.");
  }
  return openSecret(mediaServiceId, key, {
    kind: "contentKey",
    ownerId: facts.ownerId,
    name: kid,
    sealed: facts.sealed,
  });
}

/** GET /keydelivery/{mediaServiceId}?kid={key id}: the 16 key bytes, or an error a player developer can act on. */
export async function deliverContentKey(request: Request, mediaServiceId: string): Promise<Response> {
  const ids = Ids.safeParse({ mediaServiceId, kid: new URL(request.url).searchParams.get("kid") });
  if (!ids.success)
    return refusalResponse(
      new DomainError(
        "InvalidRequest",
        "Ask for a key as /keydelivery/{mediaServiceId}?kid={content key id} (both GUIDs).",
      ),
    );
  try {
    const token = bearerToken(request.headers.get("authorization"));
    const key = await contentKey(ids.data.mediaServiceId.toLowerCase(), ids.data.kid.toLowerCase(), token);
    return new Response(new Uint8Array(key), {
      status: 200,
      headers: { ...corsHeaders, "Content-Type": "application/octet-stream", "Cache-Control": "no-store" },
    });
  } catch (err) {
    if (err instanceof DomainError) return refusalResponse(err);
    throw err;
  }
}
