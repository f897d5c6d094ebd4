import "server-only";
import { randomUUID, type KeyObject } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { z } from "zod";
import { decide } from "@/lib/accounts/policy";
import { accountChangeFeed, onAccountChange } from "@/lib/db/account-changes";
import { db, onLocalWrite } from "@/lib/db/client";
import { armErrorBody, DomainError } from "@/lib/errors";
import { accountKey } from "@/lib/keys/hierarchy";
import { clientAddressOf } from "@/lib/net/client-address";
import { metrics } from "@/lib/observability/metrics";
import {
  CONTENT_KEY_ID_CLAIM,
  contentKeyPolicyTypes as odata,
  rsaKeyWeakness,
  tokenPublicKey,
  type StoredOption,
} from "./content-key-policies";
import { DeliveryCache } from "./delivery-cache";
import { keyDeliveryDecision, type KeyDeliveryAccess } from "./key-delivery-access";
import { openSecret } from "./secrets";

/**
 * Key delivery: a player asks for a content key (AES-128 clear key, as HLS does) by key id,
 * with a JWT that the content key policy's restriction verifies. What it reads of the account (its
 * state and settings, wrapped key, the locator, policy and sealed content key) is kept in memory
 * and dropped the moment any process changes the account (lib/db/account-changes.ts), so a warm
 * request costs no database query and, while the account key is cached, no Key Vault call, and
 * streaming stops within the fan-out's bound of the account's customer key becoming inaccessible. Until the token verifies, every
 * refusal is the same 401, so that the account's existence, keys and state are told to its
 * players only.
 */
const Ids = z.object({ mediaServiceId: z.uuid(), kid: z.uuid() });

/** Players fetch keys from pages on other origins; no cookie is ever involved, so any origin may ask. */
export const corsHeaders = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type",
  "Access-Control-Max-Age": "600",
};

/**
 * The one refusal for a token that was sent but is not verified: an unknown account or key id, a
 * bad signature, issuer, audience or expiry, and an account that cannot verify it now all read
 * the same, so that only a caller with a valid token learns anything about the account.
 */
const notAccepted = () => new DomainError("InvalidToken", "The token is not accepted for this content key.");

/**
 * A player is told that a key cannot be delivered now, never why: the account's state, its vault
 * and its key are for the account's owners, who read them through the REST API.
 */
const unavailable = () => new DomainError("ContentKeyUnavailable", "The content key cannot be delivered now.");

/** The bearer token of the request, or null when there is none (then the challenge carries no error code, RFC 6750 §3.1). */
function bearerTokenOf(authorization: string | null): string | null {
  return /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1] ?? null;
}

/** SWT's one signature algorithm, as the token's last parameter names it. */
const SWT_ALG = "HMACSHA256";

type Token =
  /** `alg` as the JWT's header claims it, not yet verified: picks the keys worth trying. */
  | { type: "Jwt"; jwt: string; alg: string }
  /** A Simple Web Token: form-encoded claims, then `&HMACSHA256=` and the signature of what precedes it. */
  | {
      type: "Swt";
      alg: typeof SWT_ALG;
      signed: Uint8Array<ArrayBuffer>;
      signature: Uint8Array<ArrayBuffer>;
      claims: JWTPayload;
    };

/** An SWT's parts, with its Issuer, Audience and ExpiresOn also under the names JWT gives them. */
function parseSwt(raw: string): Token {
  const at = raw.lastIndexOf(`&${SWT_ALG}=`);
  if (at <= 0) throw notAccepted();
  const claims: JWTPayload = Object.fromEntries(new URLSearchParams(raw.slice(0, at)));
  const signature = Buffer.from(decodeURIComponent(raw.slice(at + SWT_ALG.length + 2)), "base64");
  if (signature.length !== 32 || !/^\d+$/.test(String(claims.ExpiresOn ?? ""))) throw notAccepted();
  return {
    type: "Swt",
    alg: SWT_ALG,
    signed: new Uint8Array(Buffer.from(raw.slice(0, at), "utf8")),
    signature: new Uint8Array(signature),
    claims: {
      ...claims,
      iss: String(claims.Issuer ?? ""),
      aud: String(claims.Audience ?? ""),
      exp: Number(claims.ExpiresOn),
    },
  };
}

/**
 * The token if it is a well-formed JWT (with the algorithm its header names) or SWT, else
 * `notAccepted`: checked before any database or Key Vault work, so that such a request costs
 * nothing and learns nothing, not even whether the account exists. A request without a token is
 * looked up: only a key whose policy has an open restriction is delivered to it, as in Azure;
 * every other key answers it with the challenge.
 */
function wellFormed(raw: string): Token {
  if (raw.includes(`&${SWT_ALG}=`)) return parseSwt(raw);
  try {
    const { alg } = decodeProtectedHeader(raw);
    decodeJwt(raw);
    return { type: "Jwt", jwt: raw, alg: alg ?? "" };
  } catch {
    throw notAccepted();
  }
}

/** The account key for delivery, to a verified caller: a definitive refusal from Key Vault reaches the player as `unavailable`, a Key Vault outage as 503. */
async function accountKeyForDelivery(...args: Parameters<typeof accountKey>): Promise<Buffer> {
  try {
    return await accountKey(...args);
  } catch (err) {
    if (err instanceof DomainError && err.code !== "KeyVaultUnavailable") throw unavailable();
    throw err;
  }
}

type TokenRestriction = Extract<StoredOption["restriction"], { keys: unknown }>;
type StoredTokenKey = TokenRestriction["keys"][number];

/** The signing algorithms a stored key verifies, for its restriction's token type. */
function algorithmsOf(key: StoredTokenKey, type: TokenRestriction["restrictionTokenType"]): string[] {
  if (type === "Swt") return key["@odata.type"] === odata.symmetric ? [SWT_ALG] : [];
  if (key["@odata.type"] === odata.symmetric) return ["HS256", "HS384", "HS512"];
  if (key["@odata.type"] === odata.rsa) return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
  return ["RS256"];
}

/**
 * How to verify with one stored key for one algorithm; null for a weak key saved before such keys
 * were refused, which verifies nothing. Made once per stored key and algorithm: the stored keys are
 * part of the cached delivery facts, so this lives exactly as long as they do and goes with them
 * when the account changes.
 */
const verifiers = new WeakMap<StoredTokenKey, Map<string, Promise<CryptoKey | KeyObject | null>>>();
function verificationKey(
  key: StoredTokenKey,
  alg: string,
  secretOf: (slot: string) => Buffer,
): Promise<CryptoKey | KeyObject | null> {
  let byAlgorithm = verifiers.get(key);
  if (!byAlgorithm) verifiers.set(key, (byAlgorithm = new Map()));
  let made = byAlgorithm.get(alg);
  if (!made) {
    if (key["@odata.type"] === odata.symmetric) {
      const hash = { name: "HMAC", hash: alg === SWT_ALG ? "SHA-256" : `SHA-${alg.slice(2)}` };
      made = crypto.subtle.importKey("raw", new Uint8Array(secretOf(key.slot)), hash, false, ["verify"]);
    } else {
      const publicKey = tokenPublicKey(key);
      made = Promise.resolve(rsaKeyWeakness(publicKey) ? null : publicKey);
    }
    byAlgorithm.set(alg, made);
  }
  return made;
}

/** The token's claims if one of `keys` signed it, for the restriction's issuer and audience, with an unexpired `exp`; else null. */
async function verifiedClaims(
  token: Token,
  restriction: TokenRestriction,
  keys: StoredTokenKey[],
  secretOf: (slot: string) => Buffer,
): Promise<JWTPayload | null> {
  for (const stored of keys) {
    const key = await verificationKey(stored, token.alg, secretOf);
    if (!key) continue;
    if (token.type === "Swt") {
      if (await crypto.subtle.verify("HMAC", key as CryptoKey, token.signature, token.signed))
        return swtClaims(token, restriction);
      continue;
    }
    try {
      const { payload } = await jwtVerify(token.jwt, key, {
        algorithms: algorithmsOf(stored, restriction.restrictionTokenType),
        issuer: restriction.issuer,
        audience: restriction.audience,
        requiredClaims: ["exp"],
        clockTolerance: 60,
      });
      return payload;
    } catch (err) {
      if (!(err instanceof errors.JOSEError)) throw err;
    }
  }
  return null;
}

/** A signed SWT's claims if they are for the restriction's issuer and audience and unexpired (with JWT's minute of tolerance); else null. */
function swtClaims(token: Extract<Token, { type: "Swt" }>, restriction: TokenRestriction): JWTPayload | null {
  const { iss, aud, exp } = token.claims;
  if (iss !== restriction.issuer || aud !== restriction.audience) return null;
  return exp !== undefined && exp * 1000 + 60_000 > Date.now() ? token.claims : null;
}

/** Why a verified token's claims do not meet the restriction's required claims, or null when they do. */
function claimRefusal(payload: JWTPayload, restriction: TokenRestriction, kid: string): DomainError | null {
  for (const claim of restriction.requiredClaims) {
    const actual = payload[claim.claimType];
    if (claim.claimType === CONTENT_KEY_ID_CLAIM) {
      const expected = claim.claimValue ?? kid;
      if (typeof actual !== "string" || actual.toLowerCase() !== expected.toLowerCase())
        return new DomainError("InvalidToken", "The token is not for this content key.");
    } else if (actual === undefined || (claim.claimValue != null && String(actual) !== claim.claimValue)) {
      return new DomainError("InvalidToken", `The token lacks the required claim ${claim.claimType}.`);
    }
  }
  return null;
}

/** Everything one key request needs, in one round trip: the account's state and wrapped key, the content key, its locator and policy. */
interface DeliveryFacts extends KeyDeliveryAccess {
  accountId: string;
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

const holder = globalThis as unknown as { byokDeliveryCache?: DeliveryCache<DeliveryFacts> };

/** The process's cache of delivery facts, subscribed to account changes (other processes') and local writes (its own). */
export function deliveryCache(): DeliveryCache<DeliveryFacts> {
  if (!holder.byokDeliveryCache) {
    const cache = new DeliveryCache<DeliveryFacts>(10_000);
    onAccountChange(({ accountId }) => cache.drop(accountId));
    onLocalWrite(() => cache.drop(null));
    holder.byokDeliveryCache = cache;
  }
  return holder.byokDeliveryCache;
}

/**
 * The facts of one key request: from memory while the account change feed is fresh, else (and on
 * a miss) from the database, kept when complete and no change raced the read. An unknown account
 * or key id is not kept: it costs its query every time, as before.
 */
async function factsOf(mediaServiceId: string, kid: string): Promise<DeliveryFacts | undefined> {
  const feed = accountChangeFeed();
  const cache = deliveryCache();
  if (feed.fresh()) {
    const hit = cache.get(mediaServiceId, kid);
    if (hit) return hit;
  }
  const stamp = cache.stamp();
  const [facts] = await readFacts(mediaServiceId, kid);
  if (facts?.sealed && facts.ownerId && facts.policyId && facts.options && feed.fresh())
    cache.set(mediaServiceId, kid, facts, stamp);
  return facts;
}

function readFacts(mediaServiceId: string, kid: string): Promise<DeliveryFacts[]> {
  return db().$queryRaw<DeliveryFacts[]>`
    SELECT a.id::text AS "accountId", a."encryptionType", a."keyStatus", a."keyStatusReason", a."keyStatusMessage", a."keyIdentifier", a."clientId", a."encryptionIdentity", a."userAssignedIdentities",
           a."keyDeliveryDefaultAction" AS "defaultAction", a."keyDeliveryIpAllowList" AS "ipAllowList", a."publicNetworkAccess",
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

/**
 * Verifies the token against the clear-key options' token restrictions, telling the caller nothing
 * (`notAccepted`) until it verifies. Only the keys that take the token's algorithm are tried, so
 * an `alg: none` or an RS256 token costs no account key. Symmetric keys are sealed under the
 * account key: while the account cannot use it (inaccessible, or Key Vault refuses or does not
 * answer and the key is not cached) such a token cannot be verified, and is not accepted either.
 * Returns the account key when verification needed it.
 */
async function verifyPlayer(
  token: Token,
  kid: string,
  facts: DeliveryFacts,
  keyOf: () => Promise<Buffer>,
  options: StoredOption[],
): Promise<{ accountKey?: Buffer }> {
  const candidates = options
    .map((o) => o.restriction as TokenRestriction)
    .map((restriction) => ({
      restriction,
      keys: restriction.keys.filter((k) => algorithmsOf(k, restriction.restrictionTokenType).includes(token.alg)),
    }))
    .filter((c) => c.keys.length);
  let key: Buffer | undefined;
  if (candidates.some((c) => c.keys.some((k) => k["@odata.type"] === odata.symmetric))) {
    if (!decide(facts, "keyDelivery").allowed) throw notAccepted();
    try {
      key = await keyOf();
    } catch (err) {
      if (err instanceof DomainError) throw notAccepted();
      throw err;
    }
  }
  // Symmetric keys are opened only when a verifier for them is first made (once per cached facts).
  let secrets: Map<string, Buffer> | undefined;
  const secretOf = (slot: string) => {
    secrets ??= new Map(
      (facts.tokenKeys ?? []).map((t) => [
        t.name,
        openSecret(facts.accountId, key!, {
          kind: "tokenKey",
          ownerId: facts.policyId!,
          name: t.name,
          sealed: Buffer.from(t.sealed, "base64"),
        }),
      ]),
    );
    return secrets.get(slot)!;
  };
  let refusal: DomainError | null = null; // made only when needed: an Error's stack costs more than a verification
  for (const { restriction, keys } of candidates) {
    const payload = await verifiedClaims(token, restriction, keys, secretOf);
    if (!payload) continue;
    const refused = claimRefusal(payload, restriction, kid);
    if (!refused) return { accountKey: key };
    refusal = refused;
  }
  throw refusal ?? notAccepted();
}

/** A request without a token, refused the same whether or not the key exists. */
const tokenNeeded = () => new DomainError("InvalidToken", "Send a token as Authorization: Bearer <jwt or swt>.");

async function contentKey(
  mediaServiceId: string,
  kid: string,
  token: Token | null,
  clientAddress: string | null,
): Promise<Buffer> {
  const facts = await factsOf(mediaServiceId, kid);
  // An unknown account, key id, locator or policy reads as a token that is not accepted (or not sent).
  if (!facts?.sealed || !facts.ownerId || !facts.policyId || !facts.options)
    throw token ? notAccepted() : tokenNeeded();
  const keyOf = () =>
    accountKeyForDelivery(
      { ...facts, id: facts.accountId },
      facts.wrapped && facts.wrappedBy ? { wrapped: facts.wrapped, wrappedBy: facts.wrappedBy } : null,
    );
  const options = facts.options.filter((o) => o.configuration["@odata.type"] === odata.clearKey);
  let key: Buffer | undefined;
  if (!options.some((o) => o.restriction["@odata.type"] === odata.open)) {
    if (!token) throw tokenNeeded();
    ({ accountKey: key } = await verifyPlayer(token, kid, facts, keyOf, options));
  }

  // The caller is authorized from here on: it may learn why the key cannot be delivered now.
  const network = keyDeliveryDecision(facts, clientAddress);
  if (!network.allowed) throw new DomainError("KeyDeliveryAccessDenied", network.message);
  const now = Date.now();
  if ((facts.startTime && facts.startTime.getTime() > now) || (facts.endTime && facts.endTime.getTime() < now)) {
    throw new DomainError(
      "StreamingLocatorNotActive",
      "The streaming locator of this key is outside its start and end time.",
    );
  }
  if (!decide(facts, "keyDelivery").allowed) throw unavailable();
  key ??= await keyOf();
  return openSecret(mediaServiceId, key, {
    kind: "contentKey",
    ownerId: facts.ownerId,
    name: kid,
    sealed: facts.sealed,
  });
}

/** A key-delivery answer, for any transport: the Next.js route (as a Response) or the listener (written to node:http). */
export interface DeliveryAnswer {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | string;
}

const keyHeaders = { ...corsHeaders, "Content-Type": "application/octet-stream", "Cache-Control": "no-store" };

/** A refusal as the player sees it: the error JSON, a Bearer challenge on 401, Retry-After when Key Vault did not answer. */
function refusal(err: DomainError, tokenSent: boolean): DeliveryAnswer & { outcome: string } {
  const headers: Record<string, string> = {
    ...corsHeaders,
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "x-ms-request-id": randomUUID(),
  };
  if (err.status === 401) headers["WWW-Authenticate"] = tokenSent ? 'Bearer error="invalid_token"' : "Bearer";
  if (err.code === "KeyVaultUnavailable") headers["Retry-After"] = String(err.retryAfterSeconds ?? 10);
  return { status: err.status, headers, body: JSON.stringify(armErrorBody(err)), outcome: err.code };
}

/** GET /keydelivery/{mediaServiceId}?kid={key id}: the 16 key bytes, or an error a player developer can act on. */
export async function deliverKey(request: DeliveryRequest): Promise<DeliveryAnswer> {
  let outcome = "InternalError";
  try {
    const answer = await deliver(request);
    outcome = answer.outcome;
    return answer;
  } finally {
    metrics().keyDeliveries.inc({ outcome });
  }
}

interface DeliveryRequest {
  authorization: string | null | undefined;
  mediaServiceId: string;
  kid: string | null;
  /** The client's address as resolved from the socket (and trusted proxies), for keyDelivery.accessControl. */
  clientAddress: string | null;
}

async function deliver(request: DeliveryRequest): Promise<DeliveryAnswer & { outcome: string }> {
  const token = bearerTokenOf(request.authorization ?? null);
  const ids = Ids.safeParse({ mediaServiceId: request.mediaServiceId, kid: request.kid });
  if (!ids.success)
    return refusal(
      new DomainError(
        "InvalidRequest",
        "Ask for a key as /keydelivery/{mediaServiceId}?kid={content key id} (both GUIDs).",
      ),
      token !== null,
    );
  try {
    const key = await contentKey(
      ids.data.mediaServiceId.toLowerCase(),
      ids.data.kid.toLowerCase(),
      token === null ? null : wellFormed(token), // before any database or Key Vault work
      request.clientAddress,
    );
    return { status: 200, headers: keyHeaders, body: new Uint8Array(key), outcome: "Delivered" };
  } catch (err) {
    if (err instanceof DomainError) return refusal(err, token !== null);
    throw err;
  }
}

/** The route's form of deliverKey: a fetch Request in, a Response out. */
export async function deliverContentKey(request: Request, mediaServiceId: string): Promise<Response> {
  const answer = await deliverKey({
    authorization: request.headers.get("authorization"),
    mediaServiceId,
    kid: new URL(request.url).searchParams.get("kid"),
    clientAddress: clientAddressOf(request),
  });
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
