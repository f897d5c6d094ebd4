/**
 * One error vocabulary: domain errors with stable codes, mapped once to HTTP status and ARM's
 * `{ "error": { "code", "message" } }`, and shown as-is in the portal (messages are written for
 * people and never carry a secret).
 */
import type { z } from "zod";

const statusOf = {
  AuthenticationFailed: 401,
  InvalidAuthenticationToken: 401,
  ExpiredAuthenticationToken: 401,
  InvalidAuthenticationTokenTenant: 401,
  AuthorizationFailed: 403,
  // The caller may not use a resource that the request links to (e.g. assign a user-assigned identity).
  LinkedAuthorizationFailed: 403,
  // Entra ID has no consent for this service to call Azure Resource Manager as the caller (on-behalf-of).
  ConsentRequired: 403,
  ResourceNotFound: 404,
  InvalidRequestContent: 400,
  RequestEntityTooLarge: 413,
  InvalidResourceName: 400,
  MissingApiVersionParameter: 400,
  InvalidApiVersionParameter: 400,
  Conflict: 409,
  PreconditionFailed: 412,
  // A transform names an encoder preset this service does not run (the message lists those it does).
  PresetNotSupported: 400,
  // An account's minimumTlsVersion above what the deployment's TLS termination enforces (TLS_MINIMUM_VERSION).
  MinimumTlsVersionNotSupported: 400,
  // A feature of Azure Media Services this service refuses by design (custom streaming policies).
  StreamingPolicyNotSupported: 400,
  // Binding a customer key: each is something the owner can fix, said in the message.
  InvalidKeyIdentifier: 400,
  KeyVaultHostNotAllowed: 400,
  VaultNotFound: 400,
  KeyNotFound: 400,
  KeyDisabled: 400,
  KeyExpired: 400,
  KeyNotYetValid: 400,
  KeyTypeNotSupported: 400,
  KeySizeNotSupported: 400,
  KeyOperationsNotAllowed: 400,
  SoftDeleteNotEnabled: 400,
  PurgeProtectionNotEnabled: 400,
  VaultRegionMismatch: 400,
  VaultNotVisible: 400,
  KeyVaultAccessDenied: 400,
  IdentityNotConfigured: 400,
  // The account's customer key cannot be used: only GET, LIST and DELETE work until access returns.
  CustomerKeyInaccessible: 403,
  // A new account on a customer key needs an identity that exists before it (user-assigned) to read the key.
  CustomerKeyNeedsUserAssignedIdentity: 400,
  // Key Vault did not answer definitively (throttled, 5xx, timeout): try again later.
  KeyVaultUnavailable: 503,
  // A service this one depends on (Entra ID's signing keys) did not answer: try again later.
  ServiceUnavailable: 503,
  // Key delivery, answered to players (not ARM callers): what a player developer can act on.
  InvalidRequest: 400,
  InvalidToken: 401,
  StreamingLocatorNotActive: 403,
  // The account's key delivery access control (IP allow list, public network access) refuses the caller's address.
  KeyDeliveryAccessDenied: 403,
  // The account cannot serve keys now; why (its state, vault and key) is told to its owners only.
  ContentKeyUnavailable: 403,
} as const;

export type ErrorCode = keyof typeof statusOf;

/** Whether a stored code (an operation's error) is one of this vocabulary's. */
export const isErrorCode = (code: string | null | undefined): code is ErrorCode =>
  code != null && Object.hasOwn(statusOf, code);

export class DomainError extends Error {
  override name = "DomainError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The input field a portal form should show this next to. */
    readonly field?: string,
    /** For KeyVaultUnavailable and ServiceUnavailable: when to try again. */
    readonly retryAfterSeconds?: number,
    /** Each problem of a request, as ARM lists them under `error.details` (a validation error names every bad field). */
    readonly details?: { code: ErrorCode; message: string; target?: string }[],
  ) {
    super(message);
  }

  get status(): number {
    return statusOf[this.code];
  }
}

export function armErrorBody(err: DomainError) {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.field ? { target: err.field } : {}),
      ...(err.details?.length ? { details: err.details } : {}),
    },
  };
}

/**
 * Parses input against a schema or throws InvalidRequestContent naming the first bad field
 * ("body.properties.x") in its message and target, and every bad field in its details, as ARM does.
 */
export function parseOrInvalid<T>(schema: z.ZodType<T>, value: unknown, target: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const field = [target, ...issue.path.map(String)].join(".");
    return { code: "InvalidRequestContent" as const, message: `${field}: ${issue.message}`, target: field };
  });
  const first = details[0]!;
  throw new DomainError("InvalidRequestContent", first.message, first.target, undefined, details);
}
