/** A content key policy body as the API takes it: one clear-key option, restricted to JWTs verified by `primaryVerificationKey`. */
export function clearKeyTokenPolicy(restriction: {
  issuer: string;
  audience: string;
  primaryVerificationKey: object;
  requiredClaims?: { claimType: string; claimValue?: string }[];
}) {
  return {
    properties: {
      options: [
        {
          configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
          restriction: {
            "@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
            restrictionTokenType: "Jwt",
            ...restriction,
          },
        },
      ],
    },
  };
}
