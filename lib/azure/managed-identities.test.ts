/**
 * Managed-identity tokens are cached per identity until shortly before they expire, in every
 * process: checks of many accounts do not mean a token request per check.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, it } from "node:test";
import { ManagedIdentityCredential } from "@azure/identity";
import { getConfig } from "@/lib/config";
import { getKey, unwrapKey, wrapKey } from "@/lib/keyvault/keys";
import { accountsWithOwnKeys, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { encryptionIdentityOf, keyIdentifierOf } from "@/lib/keys/hierarchy";
import { cacheSizes } from "@/lib/observability/bounded-cache";
import { managedIdentityCredential } from "./managed-identities";

// One identity's credential and clients at a time: every call below for another identity evicts them.
process.env.IDENTITY_CACHE_ENTRIES = "1";

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

it("keeps each identity's token when its credential and clients leave their cache, and never gives it to another identity", async () => {
  const ids = await accountsWithOwnKeys(env, "tokens", 2);
  const accounts = await env.database.db.mediaAccount.findMany({
    where: { id: { in: ids } },
    orderBy: { name: "asc" },
  });
  const identities = accounts.map((a) => ({
    clientId: encryptionIdentityOf(a)!,
    principalId: a.principalId!,
    key: keyIdentifierOf(a.keyIdentifier!),
  }));
  const before = await tokenRequests();
  for (let round = 0; round < 5; round++) for (const { clientId, key } of identities) await getKey(clientId, key);
  const requested = (await tokenRequests()) - before;
  assert.ok(requested <= identities.length, `10 reads of 2 identities asked for ${requested} tokens`);
  const sizes = cacheSizes();
  assert.deepEqual(sizes["managed-identity-credentials"], { size: 1, max: 1 }, "credentials stay within their bound");
  assert.deepEqual(sizes["keyvault-key-clients"], { size: 1, max: 1 }, "so do clients");
  assert.ok(sizes["managed-identity-tokens"]!.size >= identities.length, "while each identity keeps its token");
  // The SDK's own store of managed-identity tokens stays empty: it finds a token by testing every key in it.
  const sdkApp = (
    new ManagedIdentityCredential({ clientId: identities[0]!.clientId }) as unknown as {
      managedIdentityApp: { constructor: { nodeStorage?: { getTokenKeys(): { accessToken: string[] } } } };
    }
  ).managedIdentityApp;
  assert.ok(
    sdkApp.constructor.nodeStorage,
    "@azure/identity's managed identity application still has its static store",
  );
  assert.equal(sdkApp.constructor.nodeStorage.getTokenKeys().accessToken.length, 0);
  // Each identity's token names that identity, however the calls interleave.
  const claims = (token: string) =>
    JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { oid: string; appid: string };
  for (let round = 0; round < 2; round++)
    for (const { clientId, principalId } of identities) {
      const token = await managedIdentityCredential(clientId).getToken(`${getConfig().endpoints.armEndpoint}/.default`);
      assert.deepEqual(
        [claims(token!.token).oid, claims(token!.token).appid],
        [principalId, clientId],
        "a token is only ever the identity's own",
      );
    }
});
