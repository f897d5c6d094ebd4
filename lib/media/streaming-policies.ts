/**
 * The predefined streaming policies this service streams, and the content keys each needs.
 * Predefined_ClearKey is HLS/DASH with AES-128 envelope encryption: its key is what key
 * delivery hands to players.
 */
export const streamingPolicies = {
  Predefined_ClearStreamingOnly: { keys: [], streaming: true, download: false },
  Predefined_DownloadOnly: { keys: [], streaming: false, download: true },
  Predefined_DownloadAndClearStreaming: { keys: [], streaming: true, download: true },
  Predefined_ClearKey: {
    keys: [{ type: "EnvelopeEncryption", label: "clearKeyDefault" }],
    streaming: true,
    download: false,
  },
} as const;

export type StreamingPolicyName = keyof typeof streamingPolicies;
export const streamingPolicyNames = Object.keys(streamingPolicies) as [StreamingPolicyName, ...StreamingPolicyName[]];
