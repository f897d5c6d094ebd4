import "server-only";
import { SignJWT } from "jose";
import { DomainError } from "@/lib/errors";
import { mediaAccountFor, resourceNotFound } from "./access";
import {
  CONTENT_KEY_ID_CLAIM,
  contentKeyPolicyTypes as odata,
  getPolicyPropertiesWithSecretsFor,
} from "./content-key-policies";
import type { MediaScope } from "./resource";
import * as store from "./store";
import { listStreamingEndpoints } from "./streaming-endpoint-store";
import { streamingBaseUrl } from "./streaming-endpoints";
import { StoredContentKeys } from "./streaming-locators";
import { streamingPolicies, type StreamingPolicyName } from "./streaming-policies";
import { manifestFilesOf } from "./encoded-asset";

/**
 * What the portal's player needs for a locator: where its HLS stream is (a Running endpoint's
 * origin), and, for a token-restricted clear key, a test token the owner mints from the policy's
 * own symmetric key. Reading the source needs only the account (it works while the key is
 * inaccessible, so the player shows the endpoint's own refusal); minting reads the policy's
 * secret, as getPolicyPropertiesWithSecrets does, with its rights and its audit.
 */
export interface PlayerSource {
  /** The HLS manifest URL, or null with why not. */
  manifestUrl: string | null;
  unavailable: string | null;
  encrypted: boolean;
  kid: string | null;
}

export async function playerSourceFor(scope: MediaScope, locatorName: string): Promise<PlayerSource> {
  const account = await mediaAccountFor(
    scope.principal,
    { ...scope.ref, path: `streamingLocators/${locatorName}` },
    { action: "read", armOperation: "streamingLocators/read", policy: "account.read" },
  );
  const locator = await store.findStreamingLocator({ accountId: account.id, name: locatorName });
  if (!locator) throw resourceNotFound("streaming locator", locatorName);
  const policy = streamingPolicies[locator.streamingPolicyName as StreamingPolicyName];
  const kid = StoredContentKeys.parse(locator.contentKeys)[0]?.id ?? null;
  const none = (unavailable: string): PlayerSource => ({ manifestUrl: null, unavailable, encrypted: !!kid, kid });
  if (!policy.streaming) return none(`${locator.streamingPolicyName} does not stream.`);
  const ism = manifestFilesOf(await store.assetFiles({ accountId: account.id, assetName: locator.assetName }))[0];
  if (!ism)
    return none(`The asset ${locator.assetName} has no encoded output to stream yet: run an encoding job into it.`);
  const endpoint = (await listStreamingEndpoints({ accountId: account.id })).find((e) => e.resourceState === "Running");
  if (!endpoint) return none("No streaming endpoint of this account is running: start one (e.g. default).");
  const name = ism.slice(0, -"_manifest.json".length);
  const format = policy.keys.length ? "m3u8-cmaf,encryption=cbc" : "m3u8-cmaf";
  return {
    manifestUrl: `${streamingBaseUrl(endpoint.id)}/${locator.streamingLocatorId}/${name}.ism/manifest(format=${format})`,
    unavailable: null,
    encrypted: policy.keys.length > 0,
    kid,
  };
}

/** A 1-hour HS256 token for the locator's content key, signed with its policy's primary symmetric key. */
export async function mintPlayerTokenFor(
  scope: MediaScope,
  locatorName: string,
): Promise<{ token: string; expiresAt: string }> {
  const account = await mediaAccountFor(
    scope.principal,
    { ...scope.ref, path: `streamingLocators/${locatorName}` },
    { action: "write", armOperation: "streamingLocators/read", policy: "secrets.read" },
  );
  const locator = await store.findStreamingLocator({ accountId: account.id, name: locatorName });
  if (!locator) throw resourceNotFound("streaming locator", locatorName);
  const kid = StoredContentKeys.parse(locator.contentKeys)[0]?.id;
  if (!kid || !locator.defaultContentKeyPolicyName)
    throw new DomainError("InvalidRequestContent", "This locator's stream is clear: it needs no token.");
  const { options } = await getPolicyPropertiesWithSecretsFor(scope, locator.defaultContentKeyPolicyName);
  const restriction = options
    .filter((o) => o.configuration["@odata.type"] === odata.clearKey)
    .map((o) => o.restriction)
    .find((r) => r["@odata.type"] === odata.token && r.keys[0]?.["@odata.type"] === odata.symmetric);
  const key = restriction?.["@odata.type"] === odata.token ? restriction.keys[0] : undefined;
  if (restriction?.["@odata.type"] !== odata.token || key?.["@odata.type"] !== odata.symmetric)
    throw new DomainError(
      "InvalidRequestContent",
      `The content key policy ${locator.defaultContentKeyPolicyName} has no clear key option restricted by a symmetric token key: the portal can mint only those tokens.`,
    );
  const claims = Object.fromEntries(
    restriction.requiredClaims.map((c) => [
      c.claimType,
      c.claimType === CONTENT_KEY_ID_CLAIM ? (c.claimValue ?? kid) : (c.claimValue ?? "player"),
    ]),
  );
  const expires = Math.floor(Date.now() / 1000) + 3600;
  const token = await new SignJWT({ ...claims, [CONTENT_KEY_ID_CLAIM]: claims[CONTENT_KEY_ID_CLAIM] ?? kid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(restriction.issuer)
    .setAudience(restriction.audience)
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(Buffer.from(key.keyValue, "base64"));
  return { token, expiresAt: new Date(expires * 1000).toISOString() };
}
