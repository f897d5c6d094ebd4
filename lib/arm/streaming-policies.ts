import "server-only";
import type { AccountRecord } from "@/lib/accounts/store";
import { DomainError } from "@/lib/errors";
import { mediaAccountFor, resourceNotFound } from "@/lib/media/access";
import type { MediaScope } from "@/lib/media/resource";
import { resourceJson } from "./media/resource-json";
import { streamingPolicies, streamingPolicyNames, type StreamingPolicyName } from "@/lib/media/streaming-policies";

/**
 * Streaming policies: the predefined ones this service streams, in the spec's shape. They belong
 * to every account (created with it); custom policies are refused by design: the service packages
 * HLS and DASH in clear or with AES-128 envelope encryption only, and a policy it cannot honour
 * would be one it silently ignores.
 */
function streamingPolicyJson(account: AccountRecord, name: StreamingPolicyName) {
  const policy = streamingPolicies[name];
  const enabledProtocols = {
    download: policy.download,
    dash: policy.streaming,
    hls: policy.streaming,
    smoothStreaming: false,
  };
  const scheme = policy.keys.length
    ? {
        envelopeEncryption: {
          enabledProtocols,
          clearTracks: [],
          contentKeys: { defaultKey: { label: policy.keys[0]!.label } },
        },
      }
    : { noEncryption: { enabledProtocols } };
  return resourceJson(
    account,
    "streamingPolicies",
    name,
    { created: account.createdAt.toISOString(), ...scheme },
    // Predefined: nobody made them, they are there from the account's creation.
    {
      createdAt: account.createdAt,
      createdBy: null,
      createdByType: null,
      lastModifiedBy: null,
      lastModifiedByType: null,
    },
  );
}

const read = (scope: MediaScope, name: string) =>
  mediaAccountFor(
    scope.principal,
    { ...scope.ref, path: `streamingPolicies/${name}` },
    { action: "read", armOperation: "streamingPolicies/read", policy: "media.read" },
  );

const predefined = (name: string) => streamingPolicyNames.find((n) => n.toLowerCase() === name.toLowerCase());

export async function listStreamingPoliciesFor(scope: MediaScope) {
  const account = await read(scope, "");
  return streamingPolicyNames.map((name) => streamingPolicyJson(account, name));
}

export async function getStreamingPolicyFor(scope: MediaScope, name: string) {
  const account = await read(scope, name);
  const found = predefined(name);
  if (!found) throw resourceNotFound("streaming policy", name);
  return streamingPolicyJson(account, found);
}

export const customStreamingPolicyRefused = () =>
  new DomainError(
    "StreamingPolicyNotSupported",
    `Custom streaming policies are not offered: use one of the predefined policies (${streamingPolicyNames.join(", ")}) in a streaming locator's streamingPolicyName.`,
    "streamingPolicyName",
  );

/** A predefined policy cannot be replaced or deleted, and no custom one exists: both are refused, after authorization. */
export async function writeStreamingPolicyFor(scope: MediaScope, name: string): Promise<never> {
  await mediaAccountFor(
    scope.principal,
    { ...scope.ref, path: `streamingPolicies/${name}` },
    { action: "write", armOperation: "streamingPolicies/write", policy: "media.write" },
  );
  throw customStreamingPolicyRefused();
}
