import { z } from "zod";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { resourceNamePattern } from "./names";
import { streamingPolicyNames } from "./streaming-policies";

const ResourceName = z.string().trim().regex(resourceNamePattern, "Use 1 to 260 letters, digits, '-', '_' and '.'.");

/** The media page's "New streaming locator" form. */
export const CreateStreamingLocatorInput = AccountRefInput.extend({
  locatorName: ResourceName,
  assetName: ResourceName,
  streamingPolicyName: z.enum(streamingPolicyNames),
  /** Empty: none (only the clear streaming policies go without one). */
  contentKeyPolicyName: z.union([z.literal("").transform(() => undefined), ResourceName]).optional(),
});

/** A job's Cancel button. */
export const CancelJobInput = AccountRefInput.extend({ transformName: ResourceName, jobName: ResourceName });
