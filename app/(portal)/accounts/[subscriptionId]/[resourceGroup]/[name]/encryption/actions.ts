"use server";
import { revalidatePath } from "next/cache";
import { switchToCustomerKeyFor, switchToSystemKeyFor, validateCustomerKeyFor } from "@/lib/accounts/encryption";
import { AccountRefInput, EncryptionInput } from "@/lib/accounts/schemas";
import { authenticatedAction, type ActionResult } from "@/lib/actions/authenticated-action";
import { vaultLookupAs } from "@/lib/azure/arm-vaults";
import { delegatedToken } from "@/lib/auth/delegated";
import { readSession } from "@/lib/auth/session";
import type { BindingValidation } from "@/lib/keys/binding";

/** The vault's facts are read as the signed-in user, as the Azure portal would. */
async function userVaultLookup() {
  const session = await readSession();
  return vaultLookupAs(session && (await delegatedToken(session, "arm")));
}

function asResult(validation: BindingValidation, success: (wrappedBy: string) => string): ActionResult {
  const checks = validation.checks.map(({ id, label, ok, message }) => ({ id, label, ok, message }));
  if (validation.ok) return { ok: true, message: success(validation.wrapping.wrappedBy), checks };
  return {
    ok: false,
    code: validation.failure.code,
    message: validation.failure.message,
    field: "keyIdentifier",
    checks,
  };
}

export const validateEncryptionAction = authenticatedAction(EncryptionInput, async ({ principal, input }) => {
  const { keyIdentifier, userAssignedIdentity, ...ref } = input;
  const validation = await validateCustomerKeyFor(
    principal,
    ref,
    { keyIdentifier, userAssignedIdentity },
    await userVaultLookup(),
  );
  return asResult(validation, () => "Every check passed: you can save this key.");
});

export const saveEncryptionAction = authenticatedAction(EncryptionInput, async ({ principal, input }) => {
  const { keyIdentifier, userAssignedIdentity, ...ref } = input;
  const validation = await switchToCustomerKeyFor(
    principal,
    ref,
    { keyIdentifier, userAssignedIdentity },
    await userVaultLookup(),
  );
  revalidatePath(`/accounts/${ref.subscriptionId}/${ref.resourceGroup}/${ref.name}`, "layout");
  return asResult(validation, (wrappedBy) => `Saved: the account key is now wrapped by ${wrappedBy}.`);
});

export const switchToSystemKeyAction = authenticatedAction(AccountRefInput, async ({ principal, input }) => {
  const wrappedBy = await switchToSystemKeyFor(principal, input);
  revalidatePath(`/accounts/${input.subscriptionId}/${input.resourceGroup}/${input.name}`, "layout");
  return { ok: true, message: `The account is back on the system key (${wrappedBy}).` };
});
