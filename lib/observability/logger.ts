/**
 * The service's one logger: structured JSON lines on stdout (pino), one object per event, at
 * LOG_LEVEL. Modules take a child with their `component` (`logger("monitor")`), and add what the
 * event is about: `requestId`, `accountId`, a check's `result`. No `server-only` guard: the
 * launcher, the worker, the key-delivery listener and the emulator log through it too.
 *
 * Secrets never reach the output: the paths below are replaced by "[Redacted]" whatever they hold,
 * at the top level and up to two levels down (headers objects, request options, error details), and
 * errors are reduced to their name, message, code and stack (an Azure SDK error carries its
 * request, authorization header included).
 */
import pino, { type DestinationStream, type Logger } from "pino";
import { getConfig } from "@/lib/config";
import type { LogLevel } from "@/lib/log-level";

const secretFields = [
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  '["set-cookie"]',
  '["x-identity-header"]',
  '["X-IDENTITY-HEADER"]',
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "idToken",
  "id_token",
  "assertion",
  "clientSecret",
  "client_secret",
  "secret",
  "password",
  "sessionSecret",
  "apiKey",
  "key",
  "accountKey",
  "privateKey",
  "keyValue",
  "contentKey",
  "plaintext",
  "metricsToken",
];

const join = (prefix: string, field: string) => (field.startsWith("[") ? `${prefix}${field}` : `${prefix}.${field}`);

/** Every secret field at the top level, one level down and two levels down. */
export const redactPaths = secretFields.flatMap((field) => [
  field.startsWith("[") ? field.slice(2, -2) : field,
  join("*", field),
  join("*.*", field),
]);

interface ErrorLike {
  name?: string;
  message?: string;
  code?: unknown;
  statusCode?: unknown;
  status?: unknown;
  stack?: string;
  cause?: unknown;
}

/** What an error tells an operator; nothing else it carries (requests, responses, headers). */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as ErrorLike;
  const out: Record<string, unknown> = { type: e.name, message: e.message };
  if (typeof e.code === "string" || typeof e.code === "number") out.code = e.code;
  const status = e.statusCode ?? e.status;
  if (typeof status === "number") out.status = status;
  if (e.stack) out.stack = e.stack;
  if (e.cause && depth < 2) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

export function createLogger(options: { level: LogLevel; destination?: DestinationStream }): Logger {
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths, censor: "[Redacted]" },
      serializers: { err: serializeError, error: serializeError },
    },
    options.destination,
  );
}

/** The level of this process: LOG_LEVEL when the configuration is valid; info while it is not (its error is reported elsewhere). */
function configuredLevel(): LogLevel {
  try {
    return getConfig().logLevel;
  } catch {
    return "info";
  }
}

// One root per process, kept on globalThis: Next may load this module in more than one bundle.
const globalLogger = globalThis as unknown as { __byokLogger?: Logger };

/** The process's logger, or a child for one component (`logger("monitor")`). */
export function logger(component?: string): Logger {
  globalLogger.__byokLogger ??= createLogger({ level: configuredLevel() });
  return component ? globalLogger.__byokLogger.child({ component }) : globalLogger.__byokLogger;
}

/** Replaces the process's root logger (tests read what was logged); returns the previous one. */
export function setRootLogger(next: Logger | undefined): Logger | undefined {
  const previous = globalLogger.__byokLogger;
  globalLogger.__byokLogger = next;
  return previous;
}
