/**
 * The address of the client of an HTTP request, from the socket, never from a header the client
 * wrote: Next.js keeps an `x-forwarded-for` a client sent (it only fills it in when absent), so a
 * player could claim any address. `installClientAddress` rewrites that header on every request of
 * the process before any handler sees it, from the socket and, behind proxies named in
 * TRUSTED_PROXIES, from the hops those proxies appended; handlers then read `clientAddressOf`.
 */
import { subscribe } from "node:diagnostics_channel";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { inRanges, parseAddress } from "./addresses";

const HEADER = "x-forwarded-for";

/**
 * The client: the socket's peer, or, while that peer is a trusted proxy, the hop it says it
 * received the request from (the right-most `x-forwarded-for` entry), and so on leftwards.
 */
export function resolveClientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: readonly string[],
): string | null {
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? ""))
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  let client = socketAddress ?? null;
  while (client && trustedProxies.length && inRanges(client, trustedProxies) && hops.length) client = hops.pop()!;
  const parsed = client ? parseAddress(client) : null;
  return parsed ? parsed.toString() : null;
}

let installed = false;

/** Rewrites `x-forwarded-for` of every request this process serves to the one resolved client address. */
export function installClientAddress(trustedProxies: readonly string[]): void {
  if (installed) return;
  installed = true;
  // Published by node:http before the server's "request" listeners (Next's handler) run.
  subscribe("http.server.request.start", (message) => {
    const { request, socket } = message as { request: IncomingMessage; socket: Socket };
    const client = resolveClientAddress(socket.remoteAddress, request.headers[HEADER], trustedProxies);
    if (client) request.headers[HEADER] = client;
    else delete request.headers[HEADER];
  });
}

/** The request's client address as installClientAddress resolved it; null when there is none. */
export function clientAddressOf(request: Request): string | null {
  return request.headers.get(HEADER);
}
