"use server";
import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { AccountRefInput, CreateAccountInput } from "@/lib/accounts/schemas";
import { createAccountFor, deleteAccountFor } from "@/lib/accounts/service";
import { authenticatedAction, type ActionResult } from "@/lib/actions/authenticated-action";

const accountPath = (a: { subscriptionId: string; resourceGroup: string; name: string }) =>
  `/accounts/${a.subscriptionId}/${a.resourceGroup}/${a.name}`;

const createAccount = authenticatedAction(CreateAccountInput, async ({ principal, input }) => {
  const account = await createAccountFor(principal, input);
  revalidatePath("/accounts");
  return { ok: true, message: `Account ${account.name} created in ${account.location}.` };
});

/** Creates the account and goes to it; a refusal stays on the form, which keeps what was typed. */
export async function createAccountAction(previous: ActionResult | null, form: FormData): Promise<ActionResult> {
  const result = await createAccount(previous, form);
  // redirect() throws, so it stays outside the wrapper that turns throws into messages.
  if (result.ok) redirect(accountPath(CreateAccountInput.parse(Object.fromEntries(form))));
  return result;
}

const deleteAccount = authenticatedAction(AccountRefInput, async ({ principal, input }) => {
  await deleteAccountFor(principal, input);
  revalidatePath("/accounts");
  return { ok: true, message: `Account ${input.name} deleted.` };
});

/**
 * Deletes the account and goes to the list, which says so. Re-rendering the deleted account's
 * page (what an action does by default) showed Next's bare 404.
 */
export async function deleteAccountAction(previous: ActionResult | null, form: FormData): Promise<ActionResult> {
  const result = await deleteAccount(previous, form);
  if (result.ok) redirect(`/accounts?deleted=${AccountRefInput.parse(Object.fromEntries(form)).name}`);
  return result;
}
