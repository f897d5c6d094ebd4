import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHttpHeaders, createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { CredentialUnavailableError } from "@azure/identity";
import { keyVaultError } from "./errors";

const context = { operation: "unwrapKey", keyId: "https://kv1.vault.azure.net/keys/k/0123" };

function restError(status: number | undefined, body?: unknown, headers: Record<string, string> = {}, code?: string) {
  const request = createPipelineRequest({ url: context.keyId });
  const response = status
    ? { status, headers: createHttpHeaders(headers), request, bodyAsText: JSON.stringify(body ?? {}) }
    : undefined;
  const err = new RestError("Key Vault said no", { statusCode: status, request, response, code });
  if (body) err.details = body;
  return err;
}
const codeOf = (err: unknown) => keyVaultError(err, context).code;

describe("keyVaultError: only definitive answers refuse; everything else is KeyVaultUnavailable", () => {
  it("maps Key Vault's definitive answers to the owner's fix", () => {
    assert.equal(codeOf(restError(404, { error: { code: "KeyNotFound" } })), "KeyNotFound");
    assert.equal(codeOf(restError(404, { error: { code: "VaultNotFound" } }, {}, "VaultNotFound")), "VaultNotFound");
    assert.equal(
      codeOf(restError(403, { error: { code: "Forbidden", innererror: { code: "KeyDisabled" } } })),
      "KeyDisabled",
    );
    assert.equal(
      codeOf(restError(403, { error: { code: "Forbidden", innererror: { code: "KeyExpired" } } })),
      "KeyExpired",
    );
    assert.equal(
      codeOf(restError(403, { error: { code: "Forbidden", innererror: { code: "ForbiddenByPolicy" } } })),
      "KeyVaultAccessDenied",
    );
    assert.equal(codeOf(restError(401)), "KeyVaultAccessDenied");
    assert.equal(codeOf(new CredentialUnavailableError("no identity")), "KeyVaultAccessDenied");
  });

  it("treats throttling, 5xx, connection and DNS failures as transient, with Retry-After", () => {
    const throttled = keyVaultError(restError(429, undefined, { "retry-after": "7" }), context);
    assert.equal(throttled.code, "KeyVaultUnavailable");
    assert.equal(throttled.retryAfterSeconds, 7);
    assert.equal(throttled.status, 503);
    for (const err of [
      restError(500),
      restError(503),
      restError(undefined, undefined, {}, "ECONNRESET"),
      restError(undefined, undefined, {}, "ENOTFOUND"),
      restError(undefined, undefined, {}, "EAI_AGAIN"),
      Object.assign(new Error("getaddrinfo ENOTFOUND kv1.vault.azure.net"), { code: "ENOTFOUND" }),
    ]) {
      assert.equal(codeOf(err), "KeyVaultUnavailable", String((err as Error).message));
    }
  });

  it("rethrows what it does not understand rather than guessing", () => {
    assert.throws(() => keyVaultError(new TypeError("a bug"), context), TypeError);
  });
});
