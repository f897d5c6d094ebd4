/**
 * Attacks on token verification keys through the official @azure/arm-mediaservices client and
 * the app's REST API: a key that lets anyone forge tokens is refused with 400 and the reason.
 * The library-level suite is lib/security/token-keys.test.ts.
 */
import { generateKeyPairSync } from "node:crypto";
import type { AzureMediaServices, ContentKeyPolicyRestrictionTokenKeyUnion } from "@azure/arm-mediaservices";
import { demoResourceGroup } from "../../lib/demo/directory";
import { automationClients } from "../arm";
import { expect, test } from "../fixtures";

const policy = (
  primaryVerificationKey: ContentKeyPolicyRestrictionTokenKeyUnion,
): Parameters<AzureMediaServices["contentKeyPolicies"]["createOrUpdate"]>[3] => ({
  options: [
    {
      configuration: { odataType: "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
      restriction: {
        odataType: "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
        issuer: "https://sts.contoso.localhost",
        audience: "urn:contoso",
        primaryVerificationKey,
        alternateVerificationKeys: [],
        requiredClaims: [],
        restrictionTokenType: "Jwt",
      },
    },
  ],
});

test("an RSA token key with the exponent 1 (AQ==), or a short modulus padded to 256 bytes, is refused with 400 and the reason; a sound key is accepted", async () => {
  const media = automationClients().media;
  const jwk = (bits: number) => generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ format: "jwk" });
  const strong = Buffer.from(jwk(2048).n!, "base64url");
  const short = Buffer.from(jwk(1024).n!, "base64url");
  const rsa = (modulus: Buffer, exponent: Buffer) => ({
    odataType: "#Microsoft.Media.ContentKeyPolicyRsaTokenKey" as const,
    modulus,
    exponent,
  });
  const name = `weak${Date.now().toString(36)}`;
  await expect(
    media.contentKeyPolicies.createOrUpdate(
      demoResourceGroup,
      "contosomedia",
      name,
      policy(rsa(strong, Buffer.from([1]))),
    ),
  ).rejects.toMatchObject({
    statusCode: 400,
    code: "InvalidRequestContent",
    message: expect.stringMatching(/exponent 1.*65537/),
  });
  const padded = Buffer.concat([Buffer.alloc(256 - short.length), short]);
  await expect(
    media.contentKeyPolicies.createOrUpdate(
      demoResourceGroup,
      "contosomedia",
      name,
      policy(rsa(padded, Buffer.from([1, 0, 1]))),
    ),
  ).rejects.toMatchObject({
    statusCode: 400,
    message: expect.stringMatching(/1024 bits.*2048/),
  });
  const accepted = await media.contentKeyPolicies.createOrUpdate(
    demoResourceGroup,
    "contosomedia",
    name,
    policy(rsa(strong, Buffer.from([1, 0, 1]))),
  );
  expect(accepted.policyId).toMatch(/^[0-9a-f-]{36}$/);
  await media.contentKeyPolicies.delete(demoResourceGroup, "contosomedia", name);
});
