"use server";
import { revalidatePath } from "next/cache";
import { audit } from "@/lib/audit";
import { updateAccountFor } from "@/lib/accounts/changes";
import { writableAccountFor } from "@/lib/accounts/service";
import { AccountRefInput, AttachIdentityInput, GrantKeyAccessInput } from "@/lib/accounts/schemas";
import { authenticatedAction } from "@/lib/actions/authenticated-action";
import { delegatedToken } from "@/lib/auth/delegated";
import { readSession } from "@/lib/auth/session";
import { vaultsVisibleTo } from "@/lib/azure/arm-vaults";
import { grantKeyUse } from "@/lib/azure/key-access";
import { resolveUserAssignedIdentity } from "@/lib/azure/user-identities";
import { DomainError } from "@/lib/errors";

const accountPath = (ref: { subscriptionId: string; resourceGroup: string; name: string }) =>
  `/accounts/${ref.subscriptionId}/${ref.resourceGroup}/${ref.name}`;

/** The signed-in user's ARM token: Azure authorizes what the portal does on the user's behalf. */
async function userArmToken() {
  const session = await readSession();
  const token = session && (await delegatedToken(session, "arm"));
  if (!token)
    throw new DomainError(
      "AuthenticationFailed",
      "Your sign-in has no access to Azure Resource Manager: sign in again.",
    );
  return token;
}

export const addSystemIdentityAction = authenticatedAction(AccountRefInput, async ({ principal, input }) => {
  const { account } = await updateAccountFor(principal, input, { identityType: "SystemAssigned" });
  revalidatePath(accountPath(input), "layout");
  return { ok: true, message: `The account has a system-assigned identity: principal id ${account.principalId}.` };
});

export const attachUserIdentityAction = authenticatedAction(AttachIdentityInput, async ({ principal, input }) => {
  const { identityId, ...ref } = input;
  const account = await writableAccountFor(principal, ref);
  // Asked of ARM as the user: attaching needs the identity's assign action, not just read.
  const resolved = await resolveUserAssignedIdentity(identityId, await userArmToken());
  const current = (account.userAssignedIdentities ?? {}) as Record<string, { principalId: string; clientId: string }>;
  await updateAccountFor(principal, ref, { userAssignedIdentities: { ...current, [identityId]: resolved } });
  revalidatePath(accountPath(ref), "layout");
  return { ok: true, message: `Attached ${identityId.split("/").pop()}: principal id ${resolved.principalId}.` };
});

export const grantKeyAccessAction = authenticatedAction(GrantKeyAccessInput, async ({ principal, input }) => {
  const { vault: vaultName, keyName, identity, ...ref } = input;
  // The principal id comes from the account (which the user may change), never from the form.
  const account = await writableAccountFor(principal, ref);
  const userAssigned = (account.userAssignedIdentities ?? {}) as Record<string, { principalId: string }>;
  const principalId =
    identity === "system"
      ? account.principalId
      : Object.entries(userAssigned).find(([id]) => id.toLowerCase() === identity.toLowerCase())?.[1].principalId;
  if (!principalId)
    throw new DomainError("IdentityNotConfigured", "The account has no such identity: give it one first.", "identity");
  const armToken = await userArmToken();
  const vault = (await vaultsVisibleTo(armToken)).find((v) => v.name.toLowerCase() === vaultName.toLowerCase());
  if (!vault) throw new DomainError("VaultNotFound", `You cannot see a vault named ${vaultName}.`, "vault");
  await grantKeyUse(vault, principalId, keyName, armToken);
  await audit({
    actor: principal.objectId,
    action: "account.keyAccessGranted",
    outcome: "success",
    subscriptionId: account.subscriptionId,
    accountId: account.id,
    detail: {
      vault: vault.name,
      key: keyName,
      principalId,
      model: vault.enableRbacAuthorization ? "rbac" : "accessPolicy",
    },
  });
  revalidatePath(accountPath(ref), "layout");
  return {
    ok: true,
    message: vault.enableRbacAuthorization
      ? `Granted: the identity has Key Vault Crypto Service Encryption User on ${keyName}.`
      : `Granted: the identity may get, wrap and unwrap the keys of ${vault.name}.`,
  };
});
