"use server";
import { revalidatePath } from "next/cache";
import { authenticatedAction } from "@/lib/actions/authenticated-action";
import { cancelJobFor } from "@/lib/media/jobs";
import { createAsset, createContentKeyPolicy, createJobFromUrl, createStreamingLocator } from "@/lib/media/portal";
import {
  CancelJobInput,
  CreateAssetInput,
  CreateContentKeyPolicyInput,
  CreateJobInput,
  CreateStreamingLocatorInput,
} from "@/lib/media/schemas";

const mediaPath = (ref: { subscriptionId: string; resourceGroup: string; name: string }) =>
  `/accounts/${ref.subscriptionId}/${ref.resourceGroup}/${ref.name}/media`;

export const createStreamingLocatorAction = authenticatedAction(
  CreateStreamingLocatorInput,
  async ({ principal, input }) => {
    const { locatorName, subscriptionId, resourceGroup, name } = input;
    const ref = { subscriptionId, resourceGroup, name };
    await createStreamingLocator({ principal, ref }, input);
    revalidatePath(mediaPath(ref));
    return {
      ok: true,
      message: `Streaming locator ${locatorName} created: its content key (if any) is sealed under the account key.`,
    };
  },
);

export const createAssetAction = authenticatedAction(CreateAssetInput, async ({ principal, input }) => {
  const { assetName, description, ...ref } = input;
  await createAsset({ principal, ref }, { assetName, description });
  revalidatePath(mediaPath(ref));
  return { ok: true, message: `Asset ${assetName} created.` };
});

export const createContentKeyPolicyAction = authenticatedAction(
  CreateContentKeyPolicyInput,
  async ({ principal, input }) => {
    const { subscriptionId, resourceGroup, name } = input;
    const ref = { subscriptionId, resourceGroup, name };
    const { generatedKey } = await createContentKeyPolicy({ principal, ref }, input);
    revalidatePath(mediaPath(ref));
    return generatedKey
      ? {
          ok: true,
          message: `Content key policy ${input.policyName} created. Copy its token signing key now: it is not shown again.`,
          oneTimeSecret: { label: "Token signing key (HS256, base64)", value: generatedKey },
        }
      : { ok: true, message: `Content key policy ${input.policyName} created: anyone may receive its keys.` };
  },
);

export const createJobAction = authenticatedAction(CreateJobInput, async ({ principal, input }) => {
  const { subscriptionId, resourceGroup, name } = input;
  const ref = { subscriptionId, resourceGroup, name };
  const { transformName, assetName } = await createJobFromUrl({ principal, ref }, input);
  revalidatePath(mediaPath(ref));
  return {
    ok: true,
    message: `Job ${input.jobName} scheduled in ${transformName}; its output goes to the asset ${assetName}.`,
  };
});

export const cancelJobAction = authenticatedAction(CancelJobInput, async ({ principal, input }) => {
  const { transformName, jobName, ...ref } = input;
  await cancelJobFor({ principal, ref, parent: transformName }, jobName);
  revalidatePath(mediaPath(ref));
  return { ok: true, message: `Canceling ${jobName}.` };
});
