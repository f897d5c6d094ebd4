import "server-only";
import { randomUUID } from "node:crypto";
import { AccountName, ResourceGroupName, SubscriptionId } from "@/lib/accounts/schemas";
import type { AccountRef } from "@/lib/accounts/store";
import { DomainError, parseOrInvalid } from "@/lib/errors";

/** An ARM JSON response: a request id on every answer, never cached. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return Response.json(body, { status, headers: { "x-ms-request-id": randomUUID(), "Cache-Control": "no-store", ...headers } });
}

export async function readBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new DomainError("InvalidRequestContent", "The request content is not valid JSON.");
  }
}

/** The account a request path names, each segment validated. */
export function accountRefOf(subscriptionId: string, resourceGroup: string, name: string): AccountRef {
  return {
    subscriptionId: parseOrInvalid(SubscriptionId, subscriptionId, "subscriptionId"),
    resourceGroup: parseOrInvalid(ResourceGroupName, resourceGroup, "resourceGroupName"),
    name: parseOrInvalid(AccountName, decodeURIComponent(name), "accountName"),
  };
}
