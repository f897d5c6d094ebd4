import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { createPublicKey, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { z } from "zod";
import { putOnce } from "@/lib/accounts/names";
import type { AccountRef } from "@/lib/accounts/store";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { accountKey } from "@/lib/keys/hierarchy";
import { db } from "@/lib/db/client";
import { DomainError, parseOrInvalid } from "@/lib/errors";
import { mediaAccountFor, resourceNotFound } from "./access";
import { resourceJson, type MediaScope } from "./resource";
import { openSecretsOf, sealSecrets } from "./secrets";
import * as store from "./store";

const odata = {
  symmetric: "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
  rsa: "#Microsoft.Media.ContentKeyPolicyRsaTokenKey",
  x509: "#Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey",
  token: "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
  open: "#Microsoft.Media.ContentKeyPolicyOpenRestriction",
  clearKey: "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration",
} as const;

/** The claim that names the content key a token is for; with no value, it must equal the requested key id. */
export const CONTENT_KEY_ID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";

const base64Bytes = (min: number, what: string) =>
  z
    .base64(`${what} must be base64.`)
    .refine((v) => Buffer.from(v, "base64").length >= min, `${what} must be at least ${min} bytes.`);

/**
 * Why an RSA token-signing key would let others forge tokens, or null. The exponent must be
 * 65537: with e = 1 a signature is the message itself, and a small e such as 3 is what forges
 * PKCS#1 v1.5 signatures against lenient verifiers (Bleichenbacher, 2006). The size is the
 * modulus's real bit length, which leading zero bytes cannot inflate.
 */
export function rsaKeyWeakness(key: KeyObject): string | null {
  const { modulusLength, publicExponent } = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType !== "rsa" || !modulusLength)
    return `is not an RSA key (${key.asymmetricKeyType}): tokens are verified with RSA keys only.`;
  if (publicExponent !== 65537n) return `has the public exponent ${publicExponent}: only 65537 is accepted.`;
  if (modulusLength < 2048) return `is ${modulusLength} bits: use at least 2048.`;
  return null;
}

type AsymmetricTokenKey =
  | { "@odata.type": typeof odata.rsa; exponent: string; modulus: string }
  | { "@odata.type": typeof odata.x509; rawBody: string };

/** The public key of an RSA or X.509 token key, read by node:crypto; throws if it does not parse. */
export function tokenPublicKey(key: AsymmetricTokenKey): KeyObject {
  if (key["@odata.type"] === odata.x509) return new X509Certificate(Buffer.from(key.rawBody, "base64")).publicKey;
  const base64url = (value: string) => Buffer.from(value, "base64").toString("base64url");
  return createPublicKey({ format: "jwk", key: { kty: "RSA", n: base64url(key.modulus), e: base64url(key.exponent) } });
}

/** Refuses a token key that does not parse or is too weak, at the field that holds it. */
function refuseWeakKey(key: AsymmetricTokenKey, ctx: z.RefinementCtx) {
  const rsa = key["@odata.type"] === odata.rsa;
  let message: string | null;
  try {
    const weakness = rsaKeyWeakness(tokenPublicKey(key));
    message = weakness && `${rsa ? "The RSA key" : "The certificate's key"} ${weakness}`;
  } catch {
    message = rsa
      ? "modulus and exponent are not an RSA public key."
      : "rawBody is not an X.509 certificate (DER, base64).";
  }
  if (message) ctx.addIssue({ code: "custom", path: [rsa ? "modulus" : "rawBody"], message });
}

const RsaTokenKey = z.object({
  "@odata.type": z.literal(odata.rsa),
  exponent: base64Bytes(1, "exponent"),
  modulus: base64Bytes(1, "modulus"),
});
const X509TokenKey = z.object({ "@odata.type": z.literal(odata.x509), rawBody: base64Bytes(1, "rawBody") });
const TokenKey = z.discriminatedUnion(
  "@odata.type",
  [
    // 128 bits at least: an HMAC key shorter than that is guessable.
    z.object({ "@odata.type": z.literal(odata.symmetric), keyValue: base64Bytes(16, "keyValue") }),
    RsaTokenKey.superRefine(refuseWeakKey),
    X509TokenKey.superRefine(refuseWeakKey),
  ],
  { error: `A verification key is one of ${odata.symmetric}, ${odata.rsa} or ${odata.x509}.` },
);
type TokenKey = z.infer<typeof TokenKey>;

/**
 * A token restriction: a JWT (HS*, RS*, PS*) or a Simple Web Token (SWT: form-encoded claims
 * signed with HMACSHA256), which Azure Media Services accepts with symmetric keys only.
 */
const TokenRestriction = z
  .object({
    "@odata.type": z.literal(odata.token),
    issuer: z.string().min(1),
    audience: z.string().min(1),
    primaryVerificationKey: TokenKey,
    alternateVerificationKeys: z.array(TokenKey).max(10).default([]),
    requiredClaims: z
      .array(z.object({ claimType: z.string().min(1), claimValue: z.string().nullish() }))
      .max(20)
      .default([]),
    restrictionTokenType: z.enum(["Jwt", "Swt"], "restrictionTokenType is Jwt or Swt."),
    openIdConnectDiscoveryDocument: z
      .undefined({ error: "openIdConnectDiscoveryDocument is not supported here: give the verification keys." })
      .optional(),
  })
  .superRefine((r, ctx) => {
    if (r.restrictionTokenType !== "Swt") return;
    const keys = [r.primaryVerificationKey, ...r.alternateVerificationKeys];
    keys.forEach((k, i) => {
      if (k["@odata.type"] !== odata.symmetric)
        ctx.addIssue({
          code: "custom",
          path: i === 0 ? ["primaryVerificationKey"] : ["alternateVerificationKeys", i - 1],
          message: `A Swt token is signed with HMACSHA256: its verification keys are ${odata.symmetric}.`,
        });
    });
  });

const Restriction = z.discriminatedUnion(
  "@odata.type",
  [z.object({ "@odata.type": z.literal(odata.open) }), TokenRestriction],
  { error: `A restriction is ${odata.token} or ${odata.open}.` },
);

const PolicyBody = z.object({
  properties: z.object({
    description: z.string().max(1024).optional(),
    options: z
      .array(
        z.object({
          name: z.string().max(256).optional(),
          configuration: z.object({
            "@odata.type": z.literal(
              odata.clearKey,
              `Only ${odata.clearKey} (AES-128 clear key, as for HLS) is delivered by this service.`,
            ),
          }),
          restriction: Restriction,
        }),
      )
      .min(1)
      .max(30),
  }),
});

/** A verification key as stored: symmetric values are secrets, kept apart under their slot name. */
const StoredKey = z.discriminatedUnion("@odata.type", [
  z.object({ "@odata.type": z.literal(odata.symmetric), slot: z.string() }),
  RsaTokenKey,
  X509TokenKey,
]);
type StoredKey = z.infer<typeof StoredKey>;
/** The options column: a policy's options without their secrets. */
export const StoredOptions = z.array(
  z.object({
    policyOptionId: z.string(),
    name: z.string().optional(),
    configuration: z.object({ "@odata.type": z.string() }),
    restriction: z.discriminatedUnion("@odata.type", [
      z.object({ "@odata.type": z.literal(odata.open) }),
      z.object({
        "@odata.type": z.literal(odata.token),
        issuer: z.string(),
        audience: z.string(),
        restrictionTokenType: z.enum(["Jwt", "Swt"]),
        requiredClaims: z.array(z.object({ claimType: z.string(), claimValue: z.string().nullish() })),
        keys: z.array(StoredKey),
      }),
    ]),
  }),
);
export type StoredOption = z.infer<typeof StoredOptions>[number];

function toStored(options: z.infer<typeof PolicyBody>["properties"]["options"]) {
  const secrets: { name: string; value: Buffer }[] = [];
  const stored = options.map((o): StoredOption => {
    const policyOptionId = randomUUID();
    const r = o.restriction;
    if (r["@odata.type"] === odata.open)
      return { policyOptionId, name: o.name, configuration: o.configuration, restriction: r };
    const keys = [r.primaryVerificationKey, ...r.alternateVerificationKeys].map((k, i): StoredKey => {
      if (k["@odata.type"] !== odata.symmetric) return k;
      const slot = `${policyOptionId}/${i === 0 ? "primary" : `alternate/${i - 1}`}`;
      secrets.push({ name: slot, value: Buffer.from(k.keyValue, "base64") });
      return { "@odata.type": odata.symmetric, slot };
    });
    return {
      policyOptionId,
      name: o.name,
      configuration: o.configuration,
      restriction: {
        "@odata.type": r["@odata.type"],
        issuer: r.issuer,
        audience: r.audience,
        restrictionTokenType: r.restrictionTokenType,
        requiredClaims: r.requiredClaims,
        keys,
      },
    };
  });
  return { stored, secrets };
}

/** The options as the API shows them: symmetric key values only when `secrets` is given. */
function optionsJson(options: StoredOption[], secrets?: Map<string, Buffer>) {
  return options.map((o) => {
    if (o.restriction["@odata.type"] === odata.open) return o;
    const { keys, ...restriction } = o.restriction;
    const shown = keys.map((k) => {
      if (k["@odata.type"] !== odata.symmetric) return k;
      const value = secrets?.get(k.slot);
      // GET carries the value empty (present, as Azure Media Services answered); getPolicyPropertiesWithSecrets fills it.
      return { "@odata.type": k["@odata.type"], keyValue: value ? value.toString("base64") : "" };
    });
    return {
      ...o,
      restriction: { ...restriction, primaryVerificationKey: shown[0], alternateVerificationKeys: shown.slice(1) },
    };
  });
}

function propertiesJson(p: store.PolicyRow, secrets?: Map<string, Buffer>) {
  return {
    policyId: p.id,
    created: p.createdAt.toISOString(),
    lastModified: p.updatedAt.toISOString(),
    ...(p.description ? { description: p.description } : {}),
    options: optionsJson(StoredOptions.parse(p.options), secrets),
  };
}

const policyJson = (account: AccountRef, p: store.PolicyRow) =>
  resourceJson(account, "contentKeyPolicies", p.name, propertiesJson(p), p);

const access = (scope: MediaScope, name: string, request: Parameters<typeof mediaAccountFor>[2]) =>
  mediaAccountFor(scope.principal, { ...scope.ref, path: `contentKeyPolicies/${name}` }, request);

async function findPolicy(accountId: string, name: string): Promise<store.PolicyRow> {
  const policy = await store.findContentKeyPolicy({ accountId, name });
  if (!policy) throw resourceNotFound("content key policy", name);
  return policy;
}

export async function listContentKeyPoliciesFor(scope: MediaScope, page?: RowPage) {
  const account = await access(scope, "", {
    action: "read",
    armOperation: "contentKeyPolicies/read",
    policy: "media.read",
  });
  const rows = await store.listContentKeyPolicies({ accountId: account.id, page });
  return rows.map((p) => policyJson(account, p));
}

export async function getContentKeyPolicyFor(scope: MediaScope, name: string) {
  const account = await access(scope, name, {
    action: "read",
    armOperation: "contentKeyPolicies/read",
    policy: "media.read",
  });
  return policyJson(account, await findPolicy(account.id, name));
}

/** getPolicyPropertiesWithSecrets: an action (Contributor or Owner), refused unless the account's key is usable. */
export async function getPolicyPropertiesWithSecretsFor(scope: MediaScope, name: string) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "contentKeyPolicies/getPolicyPropertiesWithSecrets/action",
    policy: "secrets.read",
  });
  const policy = await findPolicy(account.id, name);
  const key = await accountKey(account);
  await audit({
    actor: scope.principal.objectId,
    action: "contentKeyPolicy.readSecrets",
    outcome: "success",
    subscriptionId: account.subscriptionId,
    accountId: account.id,
    detail: { name },
  });
  return propertiesJson(policy, await openSecretsOf(account.id, key, policy.id, "tokenKey"));
}

export async function putContentKeyPolicyFor(scope: MediaScope, name: string, body: unknown) {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "contentKeyPolicies/write",
    policy: "secrets.write",
  });
  const { properties } = parseOrInvalid(PolicyBody, body, "body");
  const { stored, secrets } = toStored(properties.options);
  const key = await accountKey(account);
  const fields = { description: properties.description ?? null, options: stored as object[] };
  return putOnce(async () => {
    const existing = await store.contentKeyPolicyIdOf({ accountId: account.id, name });
    // The token keys are sealed to the policy's id: an update keeps the existing one.
    const id = existing ?? randomUUID();
    const sealed = sealSecrets(
      account.id,
      key,
      secrets.map((s) => ({ kind: "tokenKey" as const, ownerId: id, ...s })),
    );
    const policy = await db().$transaction(async (tx) => {
      const row = await store.putContentKeyPolicy(
        { accountId: account.id, name, id, created: !existing, fields, sealed, actor: modifiedBy(scope.principal) },
        tx,
      );
      await audit(
        {
          actor: scope.principal.objectId,
          action: "contentKeyPolicy.write",
          outcome: "success",
          subscriptionId: account.subscriptionId,
          accountId: account.id,
          detail: { name: row.name, options: stored.length, symmetricKeys: secrets.length },
        },
        tx,
      );
      return row;
    });
    return { json: policyJson(account, policy), created: !existing };
  });
}

export async function deleteContentKeyPolicyFor(scope: MediaScope, name: string): Promise<boolean> {
  const account = await access(scope, name, {
    action: "write",
    armOperation: "contentKeyPolicies/delete",
    policy: "secrets.write",
  });
  return db().$transaction(async (tx) => {
    const deleted = await store.deleteContentKeyPolicy({ accountId: account.id, name }, tx);
    if (!deleted) return false;
    if (deleted.usedBy)
      throw new DomainError(
        "Conflict",
        `The content key policy '${name}' is used by ${deleted.usedBy} streaming locator(s): delete them first.`,
      );
    await audit(
      {
        actor: scope.principal.objectId,
        action: "contentKeyPolicy.delete",
        outcome: "success",
        subscriptionId: account.subscriptionId,
        accountId: account.id,
        detail: { name },
      },
      tx,
    );
    return true;
  });
}

export { odata as contentKeyPolicyTypes };
