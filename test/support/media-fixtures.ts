/**
 * What tests of the media resources share: the lib modules (they read the configuration at first
 * use, so startAppEnvironment configures the app before any call), and request bodies for a
 * token-restricted clear key policy and a transform.
 */
import * as changes from "@/lib/accounts/changes";
import * as service from "@/lib/accounts/service";
import { assets } from "./media-api";
import { policies } from "./media-api";
import { jobs } from "./media-api";
import type { ContentKeyPolicyInput } from "@/lib/media/content-key-policies";
import * as delivery from "@/lib/media/key-delivery";
import { locators } from "./media-api";
import { transforms } from "./media-api";

export const mediaLib = { service, changes, policies, assets, locators, transforms, jobs, delivery };

export const tokenIssuer = "https://issuer.localhost";
export const tokenAudience = "urn:player";
export const contentKeyIdClaim = "urn:microsoft:azure:mediaservices:contentkeyidentifier";

/** A clear key policy whose JWTs are signed with `tokenKey` (HS256) and name the content key they are for, as lib/media takes it. */
export const tokenPolicyInput = (tokenKey: Buffer): ContentKeyPolicyInput => ({
  options: [
    {
      configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
      restriction: {
        "@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
        issuer: tokenIssuer,
        audience: tokenAudience,
        primaryVerificationKey: {
          "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
          keyValue: tokenKey.toString("base64"),
        },
        alternateVerificationKeys: [],
        requiredClaims: [{ claimType: contentKeyIdClaim }],
        restrictionTokenType: "Jwt",
      },
    },
  ],
});

/** The same policy as the REST API takes it. */
export const tokenPolicyBody = (tokenKey: Buffer) => ({ properties: tokenPolicyInput(tokenKey) });

export const transformBody = {
  properties: {
    outputs: [
      {
        preset: {
          "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset",
          presetName: "CopyAllBitrateNonInterleaved",
        },
      },
    ],
  },
};

/** A JobInputHttp job writing into `assetName`; by default an input that these tests never run. */
export const jobBody = (
  assetName: string,
  input: { baseUri?: string; files: string[] } = {
    baseUri: `https://media.example/in?sig=${crypto.randomUUID()}`,
    files: ["a.mp4"],
  },
) => ({
  properties: {
    input: { "@odata.type": "#Microsoft.Media.JobInputHttp", ...input },
    outputs: [{ "@odata.type": "#Microsoft.Media.JobOutputAsset", assetName }],
  },
});
