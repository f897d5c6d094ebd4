"use server";
import { revalidatePath } from "next/cache";
import { authenticatedAction } from "@/lib/actions/authenticated-action";
import { cancelJobFor } from "@/lib/media/jobs";
import { CancelJobInput, CreateStreamingLocatorInput } from "@/lib/media/schemas";
import { putStreamingLocatorFor } from "@/lib/media/streaming-locators";

const mediaPath = (ref: { subscriptionId: string; resourceGroup: string; name: string }) =>
  `/accounts/${ref.subscriptionId}/${ref.resourceGroup}/${ref.name}/media`;

export const createStreamingLocatorAction = authenticatedAction(
  CreateStreamingLocatorInput,
  async ({ principal, input }) => {
    const { locatorName, assetName, streamingPolicyName, contentKeyPolicyName, ...ref } = input;
    await putStreamingLocatorFor({ principal, ref }, locatorName, {
      properties: {
        assetName,
        streamingPolicyName,
        ...(contentKeyPolicyName ? { defaultContentKeyPolicyName: contentKeyPolicyName } : {}),
      },
    });
    revalidatePath(mediaPath(ref));
    return {
      ok: true,
      message: `Streaming locator ${locatorName} created: its content key (if any) is sealed under the account key.`,
    };
  },
);

export const cancelJobAction = authenticatedAction(CancelJobInput, async ({ principal, input }) => {
  const { transformName, jobName, ...ref } = input;
  await cancelJobFor({ principal, ref, parent: transformName }, jobName);
  revalidatePath(mediaPath(ref));
  return { ok: true, message: `Canceling ${jobName}.` };
});
