"use server";
import { revalidatePath } from "next/cache";
import { checkKeyNowFor } from "@/lib/accounts/encryption";
import { keyStateOf } from "@/lib/accounts/policy";
import { getAccountFor } from "@/lib/accounts/service";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { authenticatedAction } from "@/lib/actions/authenticated-action";

export const checkKeyNowAction = authenticatedAction(AccountRefInput, async ({ principal, input }) => {
  const before = keyStateOf(await getAccountFor(principal, input));
  const account = await checkKeyNowFor(principal, input);
  // Every page that shows the account's state badge.
  revalidatePath("/", "layout");
  const state = keyStateOf(account);
  if (state === "CustomerKeyInaccessible")
    return {
      ok: false,
      code: "CustomerKeyInaccessible",
      message: `${before === state ? "Still inaccessible" : "This check found the key inaccessible"}: ${account.keyStatusMessage}`,
    };
  if (account.unreachableSince) return { ok: true, message: "Key Vault did not answer; the state is unchanged." };
  return {
    ok: true,
    message: before === "CustomerKeyInaccessible" ? "The key is accessible again." : "The key is accessible.",
  };
});
