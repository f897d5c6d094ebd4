import "server-only";
import { z } from "zod";
import type { AccountRef } from "@/lib/accounts/store";
import type { RowPage } from "@/lib/db/row-page";
import { parseOrInvalid } from "@/lib/errors";
import {
  contentKeyPolicyTypes as odata,
  deleteContentKeyPolicyFor,
  getContentKeyPolicyFor,
  getPolicyPropertiesWithSecretsFor,
  listContentKeyPoliciesFor,
  policyOptionsOf,
  putContentKeyPolicyFor,
  resolveContentKeyPolicyWrite,
  updateContentKeyPolicyFor,
  type ContentKeyPolicyInput,
  type ContentKeyPolicyOption,
} from "@/lib/media/content-key-policies";
import type { MediaScope } from "@/lib/media/resource";
import { resourceJson } from "./resource-json";
import type * as store from "@/lib/media/store";
import { propertiesPath, withBodyFields } from "./body-fields";

const base64Bytes = (min: number, what: string) =>
  z
    .base64(`${what} must be base64.`)
    .refine((v) => Buffer.from(v, "base64").length >= min, `${what} must be at least ${min} bytes.`);

/** A verification key; its strength (a symmetric key's length, an RSA key's size and exponent) is lib/media's check. */
const TokenKey = z.discriminatedUnion(
  "@odata.type",
  [
    z.object({ "@odata.type": z.literal(odata.symmetric), keyValue: z.base64("keyValue must be base64.") }),
    z.object({
      "@odata.type": z.literal(odata.rsa),
      exponent: base64Bytes(1, "exponent"),
      modulus: base64Bytes(1, "modulus"),
    }),
    z.object({ "@odata.type": z.literal(odata.x509), rawBody: base64Bytes(1, "rawBody") }),
  ],
  { error: `A verification key is one of ${odata.symmetric}, ${odata.rsa} or ${odata.x509}.` },
);

/**
 * A token restriction: a JWT (HS*, RS*, PS*) or a Simple Web Token (SWT: form-encoded claims
 * signed with HMACSHA256), whose keys lib/media refuses unless symmetric.
 */
const TokenRestriction = z.object({
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
});

const Restriction = z.discriminatedUnion(
  "@odata.type",
  [z.object({ "@odata.type": z.literal(odata.open) }), TokenRestriction],
  { error: `A restriction is ${odata.token} or ${odata.open}.` },
);

export const PolicyBody = z.object({
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

/** The options as the API shows them: a token restriction's keys as its primary and alternate verification keys. */
const optionsJson = (options: ContentKeyPolicyOption[]) =>
  options.map((o) => {
    if (o.restriction["@odata.type"] === odata.open) return o;
    const { keys, ...restriction } = o.restriction;
    return {
      ...o,
      restriction: { ...restriction, primaryVerificationKey: keys[0], alternateVerificationKeys: keys.slice(1) },
    };
  });

/** A policy's properties; GET carries symmetric key values empty (present, as Azure Media Services answered). */
const propertiesJson = (p: store.PolicyRow, options: ContentKeyPolicyOption[] = policyOptionsOf(p)) => ({
  policyId: p.id,
  created: p.createdAt.toISOString(),
  lastModified: p.updatedAt.toISOString(),
  ...(p.description ? { description: p.description } : {}),
  options: optionsJson(options),
});

export const policyJson = (account: AccountRef, p: store.PolicyRow) =>
  resourceJson(account, "contentKeyPolicies", p.name, propertiesJson(p), p);

const bodyPath = propertiesPath("options");
const inputOf = (body: unknown): ContentKeyPolicyInput => parseOrInvalid(PolicyBody, body, "body").properties;

/** Content key policies as the API reads and writes them: ARM bodies parsed into lib/media's input, its records written as ARM's JSON. */
export const contentKeyPolicyOperations = {
  async list(scope: MediaScope, page?: RowPage) {
    const { account, rows } = await listContentKeyPoliciesFor(scope, page);
    return rows.map((p) => policyJson(account, p));
  },
  async get(scope: MediaScope, name: string) {
    const { account, row } = await getContentKeyPolicyFor(scope, name);
    return policyJson(account, row);
  },
  /** Authorized and the account read before the body is parsed, once. */
  async put(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveContentKeyPolicyWrite(scope, name);
    const input = inputOf(body);
    const { account, row, created } = await withBodyFields(bodyPath, () =>
      putContentKeyPolicyFor(resolved, name, input),
    );
    return { json: policyJson(account, row), created };
  },
  /** ARM's update: the same body as PUT, on a policy that exists; authorized and the account read once. */
  async patch(scope: MediaScope, name: string, body: unknown) {
    const resolved = await resolveContentKeyPolicyWrite(scope, name);
    const input = inputOf(body);
    const { account, row } = await withBodyFields(bodyPath, () => updateContentKeyPolicyFor(resolved, name, input));
    return policyJson(account, row);
  },
  remove: deleteContentKeyPolicyFor,
  actions: {
    /** getPolicyPropertiesWithSecrets: the properties, with the symmetric key values. */
    async getPolicyPropertiesWithSecrets(scope: MediaScope, name: string) {
      const { row, options } = await getPolicyPropertiesWithSecretsFor(scope, name);
      return propertiesJson(row, options);
    },
  },
};
