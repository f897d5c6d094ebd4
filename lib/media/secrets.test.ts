import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { DecryptionError } from "@/lib/crypto/envelope";
import { openSecret, sealSecrets } from "./secrets";

describe("secrets sealed under an account key", () => {
  const accountId = randomUUID();
  const key = randomBytes(32);
  const value = randomBytes(16);
  const [row] = sealSecrets(accountId, key, [{ kind: "contentKey", ownerId: randomUUID(), name: randomUUID(), value }]);
  const stored = { ...row!, sealed: row!.sealed as Uint8Array };

  it("open with their account key, in their record", () => {
    assert.deepEqual(openSecret(accountId, key, stored), value);
    assert.equal(Buffer.from(stored.sealed).indexOf(value), -1, "no plaintext in the sealed bytes");
  });

  it("do not open once moved: to another owner, name, kind or account, or under another key", () => {
    for (const moved of [
      { ...stored, ownerId: randomUUID() },
      { ...stored, name: randomUUID() },
      { ...stored, kind: "tokenKey" },
    ]) {
      assert.throws(() => openSecret(accountId, key, moved), DecryptionError);
    }
    assert.throws(() => openSecret(randomUUID(), key, stored), DecryptionError);
    assert.throws(() => openSecret(accountId, randomBytes(32), stored), DecryptionError);
  });
});
