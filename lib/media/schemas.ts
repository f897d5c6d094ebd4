import { z } from "zod";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { resourceNamePattern } from "./names";
import { streamingPolicies, streamingPolicyNames } from "./streaming-policies";

const ResourceName = z.string().trim().regex(resourceNamePattern, "Use 1 to 260 letters, digits, '-', '_' and '.'.");
/** A select whose empty option means "none" (or "a new one"). */
const OptionalName = z.union([z.literal("").transform(() => undefined), ResourceName]).optional();

/** The media page's "New streaming locator" form. */
export const CreateStreamingLocatorInput = AccountRefInput.extend({
  locatorName: ResourceName,
  assetName: ResourceName,
  streamingPolicyName: z.enum(streamingPolicyNames),
  /** Empty: none (only the clear streaming policies go without one). */
  contentKeyPolicyName: OptionalName,
}).superRefine((input, ctx) => {
  if (streamingPolicies[input.streamingPolicyName].keys.length > 0 && !input.contentKeyPolicyName)
    ctx.addIssue({
      code: "custom",
      path: ["contentKeyPolicyName"],
      message:
        `${input.streamingPolicyName} encrypts the stream, so players need its key: choose the content key policy that ` +
        "says who may receive it (create one above if there is none), or pick Predefined_ClearStreamingOnly to stream unencrypted.",
    });
});

/** A job's Cancel button. */
export const CancelJobInput = AccountRefInput.extend({ transformName: ResourceName, jobName: ResourceName });

/** The media page's "New asset" form. */
export const CreateAssetInput = AccountRefInput.extend({
  assetName: ResourceName,
  description: z.string().trim().max(1024).optional(),
});

/** The media page's "New content key policy" form: open, or a JWT signed with a key the service generates. */
export const CreateContentKeyPolicyInput = AccountRefInput.extend({
  policyName: ResourceName,
  restriction: z.enum(["open", "token"]),
  issuer: z.string().trim().max(2048).optional(),
  audience: z.string().trim().max(2048).optional(),
  /** A checkbox: present when ticked. */
  requireKeyIdClaim: z.literal("on").optional(),
}).superRefine((input, ctx) => {
  if (input.restriction !== "token") return;
  for (const field of ["issuer", "audience"] as const)
    if (!input[field])
      ctx.addIssue({
        code: "custom",
        path: [field],
        message: `A token restriction needs the ${field} that tokens must carry (e.g. ${field === "issuer" ? "https://sts.contoso.example" : "urn:contoso:player"}).`,
      });
});

/** Presets a transform made in the portal may name (the service copies the input, whatever the preset). */
export const portalPresets = [
  "AdaptiveStreaming",
  "ContentAwareEncoding",
  "H264SingleBitrate720p",
  "CopyAllBitrateNonInterleaved",
] as const;

/** The media page's "New job" form: an input URL into an existing or a new transform and output asset. */
export const CreateJobInput = AccountRefInput.extend({
  jobName: ResourceName,
  inputUrl: z
    .url({ protocol: /^https?$/, error: "Give the input as an http or https URL (a SAS query string is kept sealed)." })
    .max(4096),
  /** Empty: a new transform, named by newTransformName. */
  transformName: OptionalName,
  newTransformName: OptionalName,
  preset: z.enum(portalPresets).default("AdaptiveStreaming"),
  /** Empty: a new asset named "<job>-output". */
  outputAssetName: OptionalName,
}).superRefine((input, ctx) => {
  if (!input.transformName && !input.newTransformName)
    ctx.addIssue({
      code: "custom",
      path: ["newTransformName"],
      message: "Name the new transform (the recipe jobs run), or pick an existing one.",
    });
});
