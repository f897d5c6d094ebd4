/**
 * Managed-identity tokens are cached per identity until shortly before they expire, in every
 * process: checks of many accounts do not mean a token request per check.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, it } from "node:test";
import { getConfig } from "@/lib/config";
import { getKey, unwrapKey, wrapKey } from "@/lib/keyvault/keys";
import { keyIdentifierOf } from "@/lib/keys/hierarchy";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

let env: AppEnvironment;
before(async () => {
  env = await startAppEnvironment();
});
after(async () => env?.dispose());

const tokenRequests = async () =>
  ((await env.emu.admin("GET", "counters")).json as { "managed-identity"?: Record<string, Record<string, number>> })[
    "managed-identity"
  ]?.["-"]?.token ?? 0;

it("asks the identity endpoint once for many Key Vault calls of one identity", async () => {
  const { keyId, identityClientId } = getConfig().systemKey;
  const before = await tokenRequests();
  const { id } = await getKey(identityClientId, keyIdentifierOf(keyId));
  for (let i = 0; i < 10; i++) {
    const plaintext = randomBytes(32);
    assert.deepEqual(await unwrapKey(identityClientId, id, await wrapKey(identityClientId, id, plaintext)), plaintext);
  }
  assert.ok((await tokenRequests()) >= 1, "the emulator counts managed-identity token requests");
  assert.ok((await tokenRequests()) - before <= 1, `token requests: ${(await tokenRequests()) - before}`);
});
