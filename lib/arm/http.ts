import "server-only";
import { randomUUID } from "node:crypto";
import { DomainError } from "@/lib/errors";

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
