"use server";
import { revalidatePath } from "next/cache";
import { checkKeyNowFor } from "@/lib/accounts/encryption";
import { keyStateOf } from "@/lib/accounts/policy";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { authenticatedAction } from "@/lib/actions/authenticated-action";

export const checkKeyNowAction = authenticatedAction(AccountRefInput, async ({ principal, input }) => {
  const account = await checkKeyNowFor(principal, input);
  revalidatePath("/dashboard");
  const state = keyStateOf(account);
  return state === "CustomerKeyInaccessible"
    ? { ok: false, code: "CustomerKeyInaccessible", message: `Still inaccessible: ${account.keyStatusMessage}` }
    : {
        ok: true,
        message: account.unreachableSince
          ? "Key Vault did not answer; the state is unchanged."
          : "The key is accessible.",
      };
});
