import "server-only";
import { getConfig } from "@/lib/config";
import { portalMsal } from "./msal";
import type { Session } from "./session";
import { logger } from "@/lib/observability/logger";

/**
 * An access token for `resource` as the signed-in user, from the session's MSAL cache (refreshed
 * silently): the portal reads the user's vaults and keys as the user, like the Azure portal.
 * null when MSAL cannot get one without the user (consent, expired session).
 */
export async function delegatedToken(session: Session, resource: "arm" | "keyVault"): Promise<string | null> {
  const { endpoints } = getConfig();
  const audience = resource === "arm" ? endpoints.armEndpoint : endpoints.keyVaultResource;
  const msal = portalMsal(session.sid);
  const account = await msal.getTokenCache().getAccountByHomeId(session.homeAccountId);
  if (!account) return null;
  try {
    return (await msal.acquireTokenSilent({ account, scopes: [`${audience}/user_impersonation`] })).accessToken;
  } catch (err) {
    logger("auth").warn({ code: (err as { errorCode?: string }).errorCode, err }, "no delegated token");
    return null;
  }
}
