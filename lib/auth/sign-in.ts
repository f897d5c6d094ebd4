import "server-only";
import { randomBytes, randomUUID } from "node:crypto";
import { CryptoProvider } from "@azure/msal-node";
import { audit } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { portalMsal, signInScopes } from "./msal";
import { clearSession, readSession, takeAuthFlow, writeAuthFlow, writeSession } from "./session";
import { endSession, openSession, purgeEndedSessions } from "./session-store";
import { logger } from "@/lib/observability/logger";

const redirectUri = () => `${getConfig().publicUrl}/auth/callback`;

/** Only a path of this site: never an open redirect to another origin. */
export function safeReturnTo(value: string | null | undefined): string {
  return value && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : "/accounts";
}

/** Starts the authorization-code flow: PKCE, state and nonce kept in a sealed cookie; returns Entra ID's URL. */
export async function beginSignIn(returnTo: string | null): Promise<string> {
  const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
  const state = randomBytes(24).toString("base64url");
  const nonce = randomBytes(24).toString("base64url");
  await writeAuthFlow({ state, nonce, verifier, returnTo: safeReturnTo(returnTo) });
  return portalMsal().getAuthCodeUrl({
    scopes: signInScopes(),
    redirectUri: redirectUri(),
    state,
    nonce,
    codeChallenge: challenge,
    codeChallengeMethod: "S256",
    prompt: "select_account",
  });
}

export type SignInOutcome =
  { ok: true; returnTo: string } | { ok: false; reason: "cancelled" | "expired" | "state" | "failed" };

/** Completes the flow at /auth/callback: checks state (and, through MSAL, nonce and PKCE), then opens a session. */
export async function completeSignIn(params: URLSearchParams): Promise<SignInOutcome> {
  const flow = await takeAuthFlow();
  if (params.get("error")) return { ok: false, reason: "cancelled" };
  if (!flow) return { ok: false, reason: "expired" };
  const code = params.get("code");
  if (!code || params.get("state") !== flow.state) {
    await audit({ actor: "anonymous", action: "auth.signIn", outcome: "denied", detail: { reason: "state mismatch" } });
    return { ok: false, reason: "state" };
  }
  const sid = randomUUID();
  await purgeEndedSessions();
  await openSession(sid);
  try {
    const result = await portalMsal(sid).acquireTokenByCode(
      {
        code,
        scopes: signInScopes(),
        redirectUri: redirectUri(),
        codeVerifier: flow.verifier,
        state: flow.state,
        nonce: flow.nonce,
      },
      { code, state: params.get("state") ?? undefined },
    );
    const claims = result.idTokenClaims as { oid?: string; tid?: string; name?: string; preferred_username?: string };
    if (!claims.oid || !claims.tid || !result.account) throw new Error("the ID token has no oid or tid");
    // Signing in again replaces the session: the one this browser had ends, so no copy of its cookie lives on.
    const previous = await readSession();
    if (previous) await endSession(previous.sid);
    await writeSession({
      sid,
      oid: claims.oid,
      tid: claims.tid,
      name: claims.name ?? claims.preferred_username ?? claims.oid,
      upn: claims.preferred_username ?? "",
      homeAccountId: result.account.homeAccountId,
    });
    await audit({ actor: claims.oid, action: "auth.signIn", outcome: "success", detail: { tenantId: claims.tid } });
    return { ok: true, returnTo: flow.returnTo };
  } catch (err) {
    await endSession(sid);
    logger("auth").error({ err }, "sign-in failed");
    await audit({
      actor: "anonymous",
      action: "auth.signIn",
      outcome: "failure",
      detail: { reason: (err as { errorCode?: string }).errorCode ?? "token exchange failed" },
    });
    return { ok: false, reason: "failed" };
  }
}

/** Ends the session on the server (so every copy of its cookie) with its token cache, and returns Entra ID's sign-out URL. */
export async function signOut(): Promise<string> {
  const session = await readSession();
  if (session) {
    await endSession(session.sid);
    await audit({ actor: session.oid, action: "auth.signOut", outcome: "success" });
  }
  await clearSession();
  const { auth, publicUrl } = getConfig();
  return `${auth.authority}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(publicUrl)}`;
}
