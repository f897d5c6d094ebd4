import "server-only";
import { DomainError } from "@/lib/errors";

/** Where a domain field of a resource's input is in its ARM body. */
export type BodyPathOf = (field: string) => string | undefined;

/** The fields under `properties` whose first segment is one of `roots` (the others are not the body's). */
export const propertiesPath =
  (...roots: string[]): BodyPathOf =>
  (field) =>
    roots.includes(field.split(".")[0]!) ? `body.properties.${field}` : undefined;

/**
 * Runs a lib/media write, whose errors name the fields of its typed input, and names them as the
 * API does: their path in the body ("body.properties.assetName"), in the target and, where the
 * message starts with the field, in the message. An error about anything else passes unchanged.
 */
export async function withBodyFields<T>(pathOf: BodyPathOf, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const target = err instanceof DomainError && err.field ? pathOf(err.field) : undefined;
    if (!target) throw err;
    const { code, message, field, retryAfterSeconds, details } = err as DomainError;
    const prefix = `${field}: `;
    const shown = message.startsWith(prefix) ? `${target}: ${message.slice(prefix.length)}` : message;
    throw new DomainError(code, shown, target, retryAfterSeconds, details);
  }
}
