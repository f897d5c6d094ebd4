import "server-only";
import { ConfidentialClientApplication, type ICachePlugin, type TokenCacheContext } from "@azure/msal-node";
import { azureAgent } from "@/lib/azure/transport";
import { msalNetworkClient } from "@/lib/azure/msal-network";
import { getConfig } from "@/lib/config";
import { open, seal } from "@/lib/crypto/envelope";
import { loadTokenCache, saveTokenCache } from "./token-cache-store";
import { derivedKey } from "./keys";

/**
 * MSAL's token cache for one session, kept server-side in the database and sealed with a key
 * derived from the session secret, bound to the session id: the browser never holds a token.
 */
function sessionCachePlugin(sessionId: string): ICachePlugin {
  const binding = { scope: sessionId, kind: "msalTokenCache", id: sessionId };
  return {
    async beforeCacheAccess(context: TokenCacheContext) {
      const sealed = await loadTokenCache(sessionId);
      if (sealed) context.tokenCache.deserialize(open(derivedKey("token-cache"), sealed, binding).toString("utf8"));
    },
    async afterCacheAccess(context: TokenCacheContext) {
      if (!context.cacheHasChanged) return;
      const sealed = seal(derivedKey("token-cache"), Buffer.from(context.tokenCache.serialize(), "utf8"), binding);
      await saveTokenCache(sessionId, sealed, new Date(Date.now() + getConfig().sessions.absoluteMs));
    },
  };
}

/** The portal's MSAL client; with a session id, its token cache is that session's. */
export function portalMsal(sessionId?: string): ConfidentialClientApplication {
  const config = getConfig();
  return new ConfidentialClientApplication({
    auth: {
      clientId: config.auth.clientId,
      clientSecret: config.auth.clientSecret,
      authority: config.auth.authority,
      // The emulator is not a cloud MSAL knows; Entra ID itself needs no such hint.
      ...(config.emulator ? { knownAuthorities: [new URL(config.endpoints.authorityHost).host] } : {}),
    },
    system: { networkClient: msalNetworkClient(azureAgent()) },
    ...(sessionId ? { cache: { cachePlugin: sessionCachePlugin(sessionId) } } : {}),
  });
}

/** Scopes the portal asks for at sign-in: identity, and ARM as the user (to list their vaults). */
export function signInScopes(): string[] {
  return ["openid", "profile", "offline_access", `${getConfig().endpoints.armEndpoint}/user_impersonation`];
}
