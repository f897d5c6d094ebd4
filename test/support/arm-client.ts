/**
 * The REST API called in-process through its route handler, as a demo user with a token for the
 * API's own App ID URI (what the real clients send).
 */
import { after, before } from "node:test";
import { demoPortalApp, demoUsers } from "@/lib/demo/directory";
import { startAppEnvironment, type AppEnvironment } from "./app-environment";

export interface ArmReply {
  status: number;
  headers: Headers;
  json: unknown;
}

export type ArmCall = (method: string, pathAndQuery: string, body?: unknown) => Promise<ArmReply>;

export async function armClient(
  env: AppEnvironment,
  user: { objectId: string; name: string; tenant: string },
  handler?: (request: Request) => Promise<Response>,
): Promise<ArmCall> {
  const token = await env.emu.userToken(user, `api://${demoPortalApp.clientId}`);
  const handle = handler ?? (await import("@/lib/arm/media-api")).handleMediaApi;
  return async (method, pathAndQuery, body) => {
    const res = await handle(
      new Request(new URL(pathAndQuery, "http://localhost"), {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };
}

/**
 * For a test file: a fresh app environment before its tests (disposed of after them), and the
 * API as `user` (the Contoso owner by default).
 */
export function armApiPerFile(
  user: { objectId: string; name: string; tenant: string } = demoUsers.owner,
  /** What the file's tests need first, run in the same hook (node:test may not order two top-level hooks). */
  setup?: (call: ArmCall) => Promise<void>,
) {
  const state: { env?: AppEnvironment; call?: ArmCall } = {};
  before(async () => {
    state.env = await startAppEnvironment();
    state.call = await armClient(state.env, user);
    await setup?.(state.call);
  });
  after(async () => state.env?.dispose());
  const call: ArmCall = (...args) => state.call!(...args);
  return { env: () => state.env!, call };
}
