/**
 * What tests of the media resources share: the lib modules (imported once startAppEnvironment has
 * configured the app), and request bodies for a token-restricted clear key policy and a transform.
 */
export async function importMediaLib() {
  return {
    service: await import("@/lib/accounts/service"),
    policies: await import("@/lib/media/content-key-policies"),
    assets: await import("@/lib/media/assets"),
    locators: await import("@/lib/media/streaming-locators"),
    transforms: await import("@/lib/media/transforms"),
    jobs: await import("@/lib/media/jobs"),
    delivery: await import("@/lib/media/key-delivery"),
  };
}
export type MediaLib = Awaited<ReturnType<typeof importMediaLib>>;

export const tokenIssuer = "https://issuer.localhost";
export const tokenAudience = "urn:player";
export const contentKeyIdClaim = "urn:microsoft:azure:mediaservices:contentkeyidentifier";

/** A clear key policy whose JWTs are signed with `tokenKey` (HS256) and name the content key they are for. */
export const tokenPolicyBody = (tokenKey: Buffer) => ({
  properties: {
    options: [
      {
        configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
        restriction: {
          "@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
          issuer: tokenIssuer,
          audience: tokenAudience,
          primaryVerificationKey: { "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey", keyValue: tokenKey.toString("base64") },
          requiredClaims: [{ claimType: contentKeyIdClaim }],
          restrictionTokenType: "Jwt",
        },
      },
    ],
  },
});

export const transformBody = { properties: { outputs: [{ preset: { "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName: "AdaptiveStreaming" } }] } };

/** A JobInputHttp job (never run by these tests) writing into `assetName`. */
export const jobBody = (assetName: string) => ({
  properties: {
    input: { "@odata.type": "#Microsoft.Media.JobInputHttp", baseUri: `https://media.example/in?sig=${crypto.randomUUID()}`, files: ["a.mp4"] },
    outputs: [{ "@odata.type": "#Microsoft.Media.JobOutputAsset", assetName }],
  },
});
