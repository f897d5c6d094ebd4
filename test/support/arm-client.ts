/**
 * The REST API called in-process through its route handler, as a demo user with a token for the
 * API's own App ID URI (what the real clients send).
 */
import { demoPortalApp } from "@/lib/demo/directory";
import type { AppEnvironment } from "./app-environment";

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
