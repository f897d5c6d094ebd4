import "server-only";
import { AuthenticationError, CredentialUnavailableError } from "@azure/identity";
import { RestError } from "@azure/core-rest-pipeline";
import { DomainError, type ErrorCode } from "@/lib/errors";

/**
 * Failures that say nothing about the key. DNS failures of a vault's name are among them, even
 * NXDOMAIN (ENOTFOUND): a deleted vault's name stops resolving, but so does a name behind a broken
 * resolver or split-horizon DNS, and a transient fault must never disable an account. Key
 * Vault's own answers (404 VaultNotFound, KeyNotFound, 403) are what move an account; until one
 * comes, work that needs the account key is served from the cache while it lives, then refused
 * with 503 and Retry-After.
 */
const transientNetwork = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|socket hang up|timeout|aborted/i;

function innerCode(err: RestError): string | undefined {
  const details = err.details as
    { error?: { innererror?: { code?: string }; innerError?: { code?: string } } } | undefined;
  return details?.error?.innererror?.code ?? details?.error?.innerError?.code;
}

/**
 * Key Vault's answer, in this service's words. Only definitive answers become refusals (not
 * found, forbidden, disabled...); throttling, 5xx, timeouts and connection failures become
 * KeyVaultUnavailable, which never changes an account's state.
 */
export function keyVaultError(err: unknown, context: { operation: string; keyId: string }): DomainError {
  const refuse = (code: ErrorCode, message: string) => new DomainError(code, message, "keyIdentifier");
  if (err instanceof DomainError) return err;
  if (
    err instanceof CredentialUnavailableError ||
    (err instanceof AuthenticationError && (err.statusCode ?? 0) < 500)
  ) {
    return refuse(
      "KeyVaultAccessDenied",
      `The account's managed identity could not get a token for Key Vault: check that the identity still exists.`,
    );
  }
  if (err instanceof RestError) {
    const status = err.statusCode ?? 0;
    const inner = innerCode(err);
    if (status === 404 && (err.code === "VaultNotFound" || /vault.*does not exist/i.test(err.message)))
      return refuse("VaultNotFound", `The vault of ${context.keyId} does not exist (it may have been deleted).`);
    if (status === 404)
      return refuse(
        "KeyNotFound",
        `The key ${context.keyId} was not found: check its name and version, or recover it if it was deleted.`,
      );
    if (status === 403 && inner === "KeyDisabled")
      return refuse("KeyDisabled", `The key ${context.keyId} is disabled: enable it in Key Vault.`);
    if (status === 403 && inner === "KeyExpired")
      return refuse("KeyExpired", `The key ${context.keyId} has expired: extend its expiry or use another version.`);
    if (status === 403 && inner === "KeyNotYetValid")
      return refuse(
        "KeyNotYetValid",
        `The key ${context.keyId} is not valid yet (its activation date is in the future).`,
      );
    if (status === 403 && inner === "KeyOperationForbidden")
      return refuse(
        "KeyOperationsNotAllowed",
        `The key ${context.keyId} does not permit ${context.operation}: allow wrapKey and unwrapKey in its permitted operations.`,
      );
    if (status === 401 || status === 403) {
      return refuse(
        "KeyVaultAccessDenied",
        `The account's managed identity may not ${context.operation} with ${context.keyId}: grant it get, wrapKey and unwrapKey (access policy) or the "Key Vault Crypto Service Encryption User" role.`,
      );
    }
    if (status === 400)
      return refuse(
        "KeyOperationsNotAllowed",
        `Key Vault refused ${context.operation} with ${context.keyId}: ${err.message}`,
      );
    const retryAfter = Number(err.response?.headers.get("retry-after")) || 10;
    if (status === 429 || status >= 500 || status === 0 || transientNetwork.test(`${err.code} ${err.message}`)) {
      return new DomainError(
        "KeyVaultUnavailable",
        `Key Vault is unavailable right now (${status || err.code || "no answer"}); try again in ${retryAfter} s.`,
        undefined,
        retryAfter,
      );
    }
  }
  const code = (err as NodeJS.ErrnoException)?.code ?? "";
  if (err instanceof AuthenticationError || transientNetwork.test(`${code} ${String((err as Error)?.message)}`)) {
    return new DomainError(
      "KeyVaultUnavailable",
      "Key Vault or the managed identity endpoint did not answer; try again shortly.",
      undefined,
      10,
    );
  }
  throw err;
}
