import "server-only";
import { DomainError } from "@/lib/errors";
import { permissionsAt, permits } from "./arm-permissions";
import { armGet } from "./arm-vaults";

export interface UserAssignedIdentity {
  principalId: string;
  clientId: string;
}

const identityId =
  /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w.()]{1,90}\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[-\w]{3,128}$/i;

const assignAction = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";

/**
 * A user-assigned identity's ids, read from ARM as the caller, once ARM says the caller may assign
 * it: attaching an identity lets the service use everything the identity may (its Key Vault keys
 * among them), so, as in Azure, reading it is not enough; the caller needs its assign action
 * (Managed Identity Operator or above). Without a caller's ARM token (a daemon, which has no user
 * for the service to act for), nobody can be asked, so the identity is refused.
 */
export async function resolveUserAssignedIdentity(
  resourceId: string,
  armToken: string | null,
): Promise<UserAssignedIdentity> {
  const field = "identity.userAssignedIdentities";
  if (!identityId.test(resourceId))
    throw new DomainError(
      "InvalidRequestContent",
      `'${resourceId}' is not the ARM id of a user-assigned identity.`,
      field,
    );
  if (!armToken) {
    throw new DomainError(
      "LinkedAuthorizationFailed",
      `An application caller (client credentials) has no user for the service to act for, so its right to '${assignAction}' on '${resourceId}' cannot be checked: call as a user, or use the account's system-assigned identity.`,
      field,
    );
  }
  if (!permits((await permissionsAt(resourceId, armToken)) ?? [], assignAction)) {
    throw new DomainError(
      "LinkedAuthorizationFailed",
      `The client does not have permission to perform action '${assignAction}' on the linked scope '${resourceId}', or the linked scope is invalid.`,
      field,
    );
  }
  const { status, body } = await armGet<{ properties: UserAssignedIdentity }>(
    `${resourceId}?api-version=2023-01-31`,
    armToken,
  );
  if (!body)
    throw new DomainError(
      "InvalidRequestContent",
      `The user-assigned identity '${resourceId}' was not found, or you cannot read it (HTTP ${status}).`,
      field,
    );
  const { principalId, clientId } = body.properties;
  return { principalId, clientId };
}
