import "server-only";
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { currentPrincipal } from "@/lib/auth/current";
import type { Principal } from "@/lib/auth/principal";
import { DomainError, type ErrorCode } from "@/lib/errors";
import { logger } from "@/lib/observability/logger";

/** One check of a multi-step validation, as a form shows it. */
export interface CheckView {
  id: string;
  label: string;
  ok: boolean | null;
  message: string;
}

/** What a server action returns to its form (read with useActionState): expected failures are values. */
export type ActionResult =
  | {
      ok: true;
      message?: string;
      checks?: CheckView[];
      /** A secret the service generated for the user, shown once by the form (never one the user submitted). */
      oneTimeSecret?: { label: string; value: string };
    }
  | { ok: false; code: ErrorCode | "InternalError"; message: string; field?: string; checks?: CheckView[] };

/**
 * The one wrapper every server action goes through: session → zod parse of the form → handler,
 * which calls into lib/ (where each operation authorizes the principal and audits). Domain errors
 * come back as values; anything else is logged with a request id and shown as a generic message.
 * A submitted value is never echoed back.
 */
export function authenticatedAction<S extends z.ZodType>(
  schema: S,
  handler: (ctx: { principal: Principal; input: z.output<S> }) => Promise<ActionResult>,
) {
  return async (_previous: ActionResult | null, form: FormData): Promise<ActionResult> => {
    const principal = await currentPrincipal();
    if (!principal)
      return { ok: false, code: "AuthenticationFailed", message: "Your session has ended: sign in again." };
    const parsed = schema.safeParse(Object.fromEntries([...form.entries()].filter(([k]) => !k.startsWith("$ACTION"))));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return {
        ok: false,
        code: "InvalidRequestContent",
        message: issue.message,
        field: issue.path.join(".") || undefined,
      };
    }
    try {
      return await handler({ principal, input: parsed.data });
    } catch (err) {
      if (err instanceof DomainError) return { ok: false, code: err.code, message: err.message, field: err.field };
      const requestId = randomUUID();
      logger("action").error({ requestId, err }, "action failed");
      return {
        ok: false,
        code: "InternalError",
        message: `Something went wrong (request ${requestId}). Try again, or report this id.`,
      };
    }
  };
}
