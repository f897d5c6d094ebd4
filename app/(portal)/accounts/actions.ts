"use server";
import { revalidatePath } from "next/cache";
import { AccountRefInput, CreateAccountInput } from "@/lib/accounts/schemas";
import { createAccountFor, deleteAccountFor } from "@/lib/accounts/service";
import { authenticatedAction } from "@/lib/actions/authenticated-action";

export const createAccountAction = authenticatedAction(CreateAccountInput, async ({ principal, input }) => {
  const account = await createAccountFor(principal, input);
  revalidatePath("/accounts");
  return { ok: true, message: `Account ${account.name} created in ${account.location}.` };
});

export const deleteAccountAction = authenticatedAction(AccountRefInput, async ({ principal, input }) => {
  await deleteAccountFor(principal, input);
  revalidatePath("/accounts");
  return { ok: true, message: `Account ${input.name} deleted.` };
});
