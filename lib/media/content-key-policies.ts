import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { createPublicKey, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { z } from "zod";
import { putOnce } from "@/lib/accounts/names";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { accountKey } from "@/lib/keys/hierarchy";
import { db } from "@/lib/db/client";
import { DomainError } from "@/lib/errors";
import { resolveMediaAccount, resourceNotFound, scopedAccountFor } from "./access";
import type { MediaList, MediaRecord, MediaScope, PutResult } from "./resource";
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

/** A token restriction's verification key, as a policy's writer gives it (values in base64). */
export type TokenKey =
  | { "@odata.type": typeof odata.symmetric; keyValue: string }
  | { "@odata.type": typeof odata.rsa; exponent: string; modulus: string }
  | { "@odata.type": typeof odata.x509; rawBody: string };

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

type AsymmetricTokenKey = Exclude<TokenKey, { "@odata.type": typeof odata.symmetric }>;

/** The public key of an RSA or X.509 token key, read by node:crypto; throws if it does not parse. */
export function tokenPublicKey(key: AsymmetricTokenKey): KeyObject {
  if (key["@odata.type"] === odata.x509) return new X509Certificate(Buffer.from(key.rawBody, "base64")).publicKey;
  const base64url = (value: string) => Buffer.from(value, "base64").toString("base64url");
  return createPublicKey({ format: "jwk", key: { kty: "RSA", n: base64url(key.modulus), e: base64url(key.exponent) } });
}

/** Why a token key is too weak to verify tokens with, and the field of the key that says so; or null. */
function tokenKeyWeakness(key: TokenKey): { field: string; message: string } | null {
  // 128 bits at least: an HMAC key shorter than that is guessable.
  if (key["@odata.type"] === odata.symmetric)
    return Buffer.from(key.keyValue, "base64").length >= 16
      ? null
      : { field: "keyValue", message: "keyValue must be at least 16 bytes." };
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
  return message ? { field: rsa ? "modulus" : "rawBody", message } : null;
}

/**
 * Refuses, at the field that holds it, a token key that does not parse or is too weak, and an
 * asymmetric key of a Simple Web Token restriction (SWT: form-encoded claims signed with
 * HMACSHA256, which Azure Media Services accepts with symmetric keys only).
 */
function refuseWeakTokenKeys(options: ContentKeyPolicyOptionInput[]) {
  options.forEach(({ restriction: r }, i) => {
    if (r["@odata.type"] !== odata.token) return;
    [r.primaryVerificationKey, ...r.alternateVerificationKeys].forEach((key, k) => {
      const at = `options.${i}.restriction.${k === 0 ? "primaryVerificationKey" : `alternateVerificationKeys.${k - 1}`}`;
      const weakness = tokenKeyWeakness(key);
      if (weakness)
        throw new DomainError(
          "InvalidRequestContent",
          `${at}.${weakness.field}: ${weakness.message}`,
          `${at}.${weakness.field}`,
        );
      if (r.restrictionTokenType === "Swt" && key["@odata.type"] !== odata.symmetric)
        throw new DomainError(
          "InvalidRequestContent",
          `${at}: A Swt token is signed with HMACSHA256: its verification keys are ${odata.symmetric}.`,
          at,
        );
    });
  });
}

/** A token restriction: a JWT (HS*, RS*, PS*) or a Simple Web Token signed with a symmetric key. */
export interface TokenRestriction {
  "@odata.type": typeof odata.token;
  issuer: string;
  audience: string;
  primaryVerificationKey: TokenKey;
  alternateVerificationKeys: TokenKey[];
  requiredClaims: RequiredClaim[];
  restrictionTokenType: "Jwt" | "Swt";
}
export interface RequiredClaim {
  claimType: string;
  claimValue?: string | null;
}

/** One option of a new or replaced policy: a clear key, open or restricted by tokens. */
export interface ContentKeyPolicyOptionInput {
  name?: string;
  configuration: { "@odata.type": typeof odata.clearKey };
  restriction: { "@odata.type": typeof odata.open } | TokenRestriction;
}

/** A content key policy, as a PUT gives it. */
export interface ContentKeyPolicyInput {
  description?: string;
  options: ContentKeyPolicyOptionInput[];
}

/** A verification key as stored: symmetric values are secrets, kept apart under their slot name. */
const StoredKey = z.discriminatedUnion("@odata.type", [
  z.object({ "@odata.type": z.literal(odata.symmetric), slot: z.string() }),
  z.object({ "@odata.type": z.literal(odata.rsa), exponent: z.string(), modulus: z.string() }),
  z.object({ "@odata.type": z.literal(odata.x509), rawBody: z.string() }),
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

function toStored(options: ContentKeyPolicyOptionInput[]) {
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

/** A policy's option as it is read: its token keys in order (the primary first), symmetric values given or empty. */
export type ContentKeyPolicyOption = Omit<StoredOption, "restriction"> & {
  restriction:
    | { "@odata.type": typeof odata.open }
    | (Omit<TokenRestriction, "primaryVerificationKey" | "alternateVerificationKeys"> & { keys: TokenKey[] });
};

/** A policy's options: symmetric key values only when `secrets` is given (else empty, as Azure Media Services reads them). */
export function policyOptionsOf(p: store.PolicyRow, secrets?: Map<string, Buffer>): ContentKeyPolicyOption[] {
  return StoredOptions.parse(p.options).map((o) => {
    if (o.restriction["@odata.type"] === odata.open) return { ...o, restriction: o.restriction };
    const { keys, ...restriction } = o.restriction;
    const shown = keys.map((k): TokenKey => {
      if (k["@odata.type"] !== odata.symmetric) return k;
      const value = secrets?.get(k.slot);
      return { "@odata.type": k["@odata.type"], keyValue: value ? value.toString("base64") : "" };
    });
    return { ...o, restriction: { ...restriction, keys: shown } };
  });
}

/** A policy with its options' symmetric key values: what getPolicyPropertiesWithSecrets reads. */
export interface ContentKeyPolicyWithSecrets extends MediaRecord<store.PolicyRow> {
  options: ContentKeyPolicyOption[];
}

const access = (scope: MediaScope, name: string, request: Parameters<typeof scopedAccountFor>[2]) =>
  scopedAccountFor(scope, `contentKeyPolicies/${name}`, request);
const writeRequest = { action: "write", armOperation: "contentKeyPolicies/write", policy: "secrets.write" } as const;

/** The scope with its account authorized and read for writing the policy: putContentKeyPolicyFor and updateContentKeyPolicyFor reuse it. */
export const resolveContentKeyPolicyWrite = (scope: MediaScope, name: string) =>
  resolveMediaAccount(scope, `contentKeyPolicies/${name}`, writeRequest);

async function findPolicy(accountId: string, name: string): Promise<store.PolicyRow> {
  const policy = await store.findContentKeyPolicy({ accountId, name });
  if (!policy) throw resourceNotFound("content key policy", name);
  return policy;
}

export async function listContentKeyPoliciesFor(
  scope: MediaScope,
  page?: RowPage,
): Promise<MediaList<store.PolicyRow>> {
  const account = await access(scope, "", {
    action: "read",
    armOperation: "contentKeyPolicies/read",
    policy: "media.read",
  });
  return { account, rows: await store.listContentKeyPolicies({ accountId: account.id, page }) };
}

export async function getContentKeyPolicyFor(scope: MediaScope, name: string): Promise<MediaRecord<store.PolicyRow>> {
  const account = await access(scope, name, {
    action: "read",
    armOperation: "contentKeyPolicies/read",
    policy: "media.read",
  });
  return { account, row: await findPolicy(account.id, name) };
}

/** getPolicyPropertiesWithSecrets: an action (Contributor or Owner), refused unless the account's key is usable. */
export async function getPolicyPropertiesWithSecretsFor(
  scope: MediaScope,
  name: string,
): Promise<ContentKeyPolicyWithSecrets> {
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
  const secrets = await openSecretsOf(account.id, key, policy.id, "tokenKey");
  return { account, row: policy, options: policyOptionsOf(policy, secrets) };
}

export function putContentKeyPolicyFor(
  scope: MediaScope,
  name: string,
  input: ContentKeyPolicyInput,
): Promise<PutResult<store.PolicyRow>> {
  return writePolicy(scope, name, input, false);
}

/** ARM's update: the same input as PUT, on a policy that exists. */
export async function updateContentKeyPolicyFor(
  scope: MediaScope,
  name: string,
  input: ContentKeyPolicyInput,
): Promise<MediaRecord<store.PolicyRow>> {
  const { account, row } = await writePolicy(scope, name, input, true);
  return { account, row };
}

async function writePolicy(
  scope: MediaScope,
  name: string,
  input: ContentKeyPolicyInput,
  mustExist: boolean,
): Promise<PutResult<store.PolicyRow>> {
  const account = await access(scope, name, writeRequest);
  if (mustExist) await findPolicy(account.id, name);
  refuseWeakTokenKeys(input.options);
  const { stored, secrets } = toStored(input.options);
  const key = await accountKey(account);
  const fields = { description: input.description ?? null, options: stored as object[] };
  return putOnce(async () => {
    const existing = await store.contentKeyPolicyIdOf({ accountId: account.id, name });
    // The token keys are sealed to the policy's id: an update keeps the existing one.
    const id = existing ?? randomUUID();
    const sealed = sealSecrets(
      account.id,
      key,
      secrets.map((s) => ({ kind: "tokenKey" as const, ownerId: id, ...s })),
    );
    const row = await db().$transaction(async (tx) => {
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
    return { account, row, created: !existing };
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
