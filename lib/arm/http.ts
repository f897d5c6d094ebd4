import "server-only";
import { randomUUID } from "node:crypto";
import { AccountName, ResourceGroupName, SubscriptionId } from "@/lib/accounts/schemas";
import type { AccountRef } from "@/lib/accounts/store";
import { getConfig } from "@/lib/config";
import { DomainError, parseOrInvalid } from "@/lib/errors";

/** An ARM JSON response: a request id on every answer, never cached. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return Response.json(body, {
    status,
    headers: { "x-ms-request-id": randomUUID(), "Cache-Control": "no-store", ...headers },
  });
}

const tooLarge = (limit: number) =>
  new DomainError("RequestEntityTooLarge", `The request content size exceeds the maximum of ${limit} bytes.`);

/**
 * The request's JSON body, read as a stream and cut off at the API's limit (ARM's, 4 MiB, by
 * default): a declared Content-Length over it is refused before anything is read, and a chunked
 * body is dropped as soon as it passes it, so no more than the limit is ever held.
 */
export async function readBody(request: Request): Promise<unknown> {
  const limit = getConfig().apiMaxBodyBytes;
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw tooLarge(limit);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks)));
  } catch {
    throw new DomainError("InvalidRequestContent", "The request content is not valid JSON.");
  }
}

/** The account a request path names (its segments already URL-decoded by the router), each validated. */
export function accountRefOf(subscriptionId: string, resourceGroup: string, name: string): AccountRef {
  return {
    subscriptionId: parseOrInvalid(SubscriptionId, subscriptionId, "subscriptionId"),
    resourceGroup: parseOrInvalid(ResourceGroupName, resourceGroup, "resourceGroupName"),
    name: parseOrInvalid(AccountName, name, "accountName"),
  };
}

/**
 * The request's URL as the caller sent it: behind the ARM front door (the emulator's, locally), on
 * the front door's host (X-Forwarded-Host and -Proto, which it sets), so the links an answer gives
 * (an operation to poll, a list's next page) lead back through it. Only the configured ARM
 * endpoint is believed: a client that writes another host there would get links (which its SDK
 * follows with its token) to a host of its choosing, so any other value is ignored.
 */
export function publicUrlOf(request: Request): URL {
  const url = new URL(request.url);
  const arm = new URL(getConfig().endpoints.armEndpoint);
  const host = request.headers.get("x-forwarded-host");
  if (host?.toLowerCase() === arm.host.toLowerCase()) {
    url.protocol = arm.protocol;
    url.host = arm.host;
  }
  return url;
}
