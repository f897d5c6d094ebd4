import "server-only";
import { EncryptJWT, jwtDecrypt } from "jose";
import { cookies } from "next/headers";
import { cache } from "react";
import { getConfig } from "@/lib/config";
import { derivedKey } from "./keys";
import { touchSession } from "./session-store";

/** What the portal remembers of a signed-in user: identifiers and a display name, no token. */
export interface Session {
  /** Session id: the partition of this session's MSAL token cache. */
  sid: string;
  oid: string;
  tid: string;
  name: string;
  upn: string;
  homeAccountId: string;
}

const SESSION_COOKIE = "session";
const FLOW_COOKIE = "auth_flow";

function cookieOptions(maxAgeSeconds: number, path = "/") {
  return {
    httpOnly: true,
    // Lax: the cookie must come back on the top-level redirect from Entra ID to /auth/callback.
    sameSite: "lax" as const,
    secure: getConfig().publicUrl.startsWith("https:"),
    path,
    maxAge: maxAgeSeconds,
  };
}

async function seal(payload: Record<string, unknown>, key: Buffer, seconds: number): Promise<string> {
  return new EncryptJWT(payload)
    .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
    .setIssuedAt()
    .setExpirationTime(`${seconds}s`)
    .encrypt(key);
}

async function unseal<T>(value: string | undefined, key: Buffer): Promise<T | null> {
  if (!value) return null;
  try {
    return (await jwtDecrypt(value, key)).payload as T;
  } catch {
    return null; // expired, altered, or sealed with another secret
  }
}

const sessionSeconds = () => Math.floor(getConfig().sessions.absoluteMs / 1000);

export async function sealSessionCookie(session: Session): Promise<string> {
  return seal({ ...session }, derivedKey("session-cookie"), sessionSeconds());
}

/**
 * The session a cookie names, if it is still live on the server: a copy of the cookie is worth
 * nothing once sign-out or a timeout has ended the session (lib/auth/session-store.ts).
 */
export async function sessionOfCookie(value: string | undefined, now = new Date()): Promise<Session | null> {
  const session = await unseal<Session>(value, derivedKey("session-cookie"));
  return session && (await touchSession(session.sid, now)) ? session : null;
}

// Once per server render: the layout, the page and the user menu each ask.
const liveSession = cache((value: string | undefined) => sessionOfCookie(value));

export async function readSession(): Promise<Session | null> {
  return liveSession((await cookies()).get(SESSION_COOKIE)?.value);
}

export async function writeSession(session: Session): Promise<void> {
  (await cookies()).set(SESSION_COOKIE, await sealSessionCookie(session), cookieOptions(sessionSeconds()));
}

export async function clearSession(): Promise<void> {
  (await cookies()).delete(SESSION_COOKIE);
}

/** The sign-in request in flight: what the callback must check (state, nonce) and send (PKCE verifier). */
export interface AuthFlow {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
}

export async function writeAuthFlow(flow: AuthFlow): Promise<void> {
  (await cookies()).set(
    FLOW_COOKIE,
    await seal({ ...flow }, derivedKey("auth-flow-cookie"), 600),
    cookieOptions(600, "/auth"),
  );
}

export async function takeAuthFlow(): Promise<AuthFlow | null> {
  const jar = await cookies();
  const flow = await unseal<AuthFlow>(jar.get(FLOW_COOKIE)?.value, derivedKey("auth-flow-cookie"));
  jar.delete({ name: FLOW_COOKIE, path: "/auth" });
  return flow;
}
