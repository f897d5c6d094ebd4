/**
 * The service's own Key Vault calls (as a managed identity, through the official SDK) against the
 * emulator: what the SDK's challenge handshake needs from this module.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { getConfig } from "@/lib/config";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { getKey, unwrapKey, wrapKey } from "./keys";

let env: AppEnvironment;

before(async () => {
  env = await startAppEnvironment();
});
after(async () => env?.dispose());

describe("a client's first calls", () => {
  it("concurrent first wraps of a new client all keep their bodies, even when the first challenge answers last", async () => {
    const { keyId, identityClientId } = getConfig().systemKey;
    const { id: versioned } = await getKey(identityClientId, keyIdentifierOf(keyId));
    // The SDK strips the body of a client's first request for the challenge and puts it back only
    // if the challenge is still in progress when that request's 401 comes back. Delay exactly that
    // 401, so that a concurrent request completes the challenge first.
    await env.emu.admin("POST", "faults", {
      target: "keyvault",
      operation: "challenge",
      kind: "latency",
      latencyMs: 400,
      count: 1,
    });
    try {
      const plaintexts = [randomBytes(32), randomBytes(32), randomBytes(32)];
      const wrapped = await Promise.all(plaintexts.map((p) => wrapKey(identityClientId, versioned, p)));
      const unwrapped = await Promise.all(wrapped.map((w) => unwrapKey(identityClientId, versioned, w)));
      assert.deepEqual(unwrapped, plaintexts);
    } finally {
      await env.emu.admin("DELETE", "faults");
    }
  });
});
