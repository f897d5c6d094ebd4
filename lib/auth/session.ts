import "server-only";
import { EncryptJWT, jwtDecrypt } from "jose";
import { cookies } from "next/headers";
import { getConfig } from "@/lib/config";
import { derivedKey } from "./keys";

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

export const SESSION_HOURS = 8;
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
  return new EncryptJWT(payload).setProtectedHeader({ alg: "dir", enc: "A256GCM" }).setIssuedAt().setExpirationTime(`${seconds}s`).encrypt(key);
}

async function unseal<T>(value: string | undefined, key: Buffer): Promise<T | null> {
  if (!value) return null;
  try {
    return (await jwtDecrypt(value, key)).payload as T;
  } catch {
    return null; // expired, altered, or sealed with another secret
  }
}

export async function readSession(): Promise<Session | null> {
  return unseal<Session>((await cookies()).get(SESSION_COOKIE)?.value, derivedKey("session-cookie"));
}

export async function writeSession(session: Session): Promise<void> {
  const seconds = SESSION_HOURS * 3600;
  (await cookies()).set(SESSION_COOKIE, await seal({ ...session }, derivedKey("session-cookie"), seconds), cookieOptions(seconds));
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
  (await cookies()).set(FLOW_COOKIE, await seal({ ...flow }, derivedKey("auth-flow-cookie"), 600), cookieOptions(600, "/auth"));
}

export async function takeAuthFlow(): Promise<AuthFlow | null> {
  const jar = await cookies();
  const flow = await unseal<AuthFlow>(jar.get(FLOW_COOKIE)?.value, derivedKey("auth-flow-cookie"));
  jar.delete({ name: FLOW_COOKIE, path: "/auth" });
  return flow;
}
