"use server";
import { revalidatePath } from "next/cache";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { authenticatedAction } from "@/lib/actions/authenticated-action";
import { delegatedToken } from "@/lib/auth/delegated";
import { readSession } from "@/lib/auth/session";
import { enableInstantDetectionFor } from "@/lib/events/instant-detection";

/** Creates the Event Grid subscription on the account's vault as the signed-in owner (their ARM token). */
export const enableInstantDetectionAction = authenticatedAction(AccountRefInput, async ({ principal, input }) => {
  const session = await readSession();
  const { provisioningState, vaultName } = await enableInstantDetectionFor(
    principal,
    input,
    session && (await delegatedToken(session, "arm")),
  );
  revalidatePath(`/accounts/${input.subscriptionId}/${input.resourceGroup}/${input.name}/encryption`);
  return {
    ok: true,
    message:
      provisioningState === "Succeeded"
        ? `Instant detection is on: ${vaultName} sends its key events here.`
        : `The subscription on ${vaultName} is ${provisioningState}.`,
  };
});
