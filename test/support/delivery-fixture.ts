/**
 * An account that streams one key behind a symmetric-token policy, and a valid token for it: what
 * the key-delivery benches request. With `customerKey`, the account is on that customer key, so
 * that its access can be revoked.
 */
import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import { createAccountFor } from "@/lib/accounts/service";
import type { AccountRecord } from "@/lib/accounts/store";
import { seal } from "@/lib/crypto/envelope";
import { demoUsers } from "@/lib/demo/directory";
import { accountKey } from "@/lib/keys/hierarchy";
import { putAssetFor } from "@/lib/media/assets";
import { locators, policies } from "./media-api";

const { listContentKeysFor, putStreamingLocatorFor } = locators;
import { contosoAccount, principalOf, type AppEnvironment } from "@/test/support/app-environment";
import { clearKeyTokenPolicy } from "@/test/support/content-key-policy";

const KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";
const issuer = "https://sts.bench";
const audience = "urn:bench";

export async function deliveryFixture(
  env: AppEnvironment,
  name: string,
  customerKey?: { vault: string; keyIdentifier: string },
) {
  const owner = principalOf(demoUsers.owner);
  const ref = contosoAccount(name);
  const scope = { principal: owner, ref };
  const tokenKey = randomBytes(40);
  const account: AccountRecord = customerKey
    ? await env.createCustomerKeyAccount(owner, name, customerKey.vault, customerKey.keyIdentifier)
    : await createAccountFor(owner, { ...ref, location: "westus2", identityType: "SystemAssigned" });
  await policies.putContentKeyPolicyFor(
    scope,
    "signed",
    clearKeyTokenPolicy({
      issuer,
      audience,
      primaryVerificationKey: {
        "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
        keyValue: tokenKey.toString("base64"),
      },
      requiredClaims: [{ claimType: KID_CLAIM }],
    }),
  );
  await putAssetFor(scope, "movie", {});
  await putStreamingLocatorFor(scope, "stream", {
    properties: {
      assetName: "movie",
      streamingPolicyName: "Predefined_ClearKey",
      defaultContentKeyPolicyName: "signed",
    },
  });
  const { id: kid, value } = (await listContentKeysFor(scope, "stream")).contentKeys[0]!;
  const contentKey = Buffer.from(value!, "base64");
  const jwt = await new SignJWT({ [KID_CLAIM]: kid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setExpirationTime("2h")
    .sign(tokenKey);

  // What the baseline holds in memory: the same sealed key, the account key and the token key.
  const ak = await accountKey(account);
  const binding = { scope: account.id, kind: "contentKey", id: kid };
  const material = {
    accountKey: ak.toString("base64"),
    sealed: seal(ak, contentKey, binding).toString("base64"),
    binding,
    tokenKey: tokenKey.toString("base64"),
    kid,
    kidClaim: KID_CLAIM,
    issuer,
    audience,
  };
  return {
    account,
    kid,
    contentKey,
    headers: { authorization: `Bearer ${jwt}` },
    path: `/keydelivery/${account.id}?kid=${kid}`,
    material,
  };
}
