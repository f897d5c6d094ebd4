import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { DecryptionError, open, seal } from "./envelope";

const key = randomBytes(32);
const binding = { scope: "account-1", kind: "contentKey", id: "locator-1" };
const secret = Buffer.from("a content key, 16B");

describe("envelope", () => {
  it("round-trips, with a fresh nonce each time", () => {
    const a = seal(key, secret, binding);
    const b = seal(key, secret, binding);
    assert.notDeepEqual(a, b, "same plaintext, different ciphertexts");
    assert.deepEqual(open(key, a, binding), secret);
    assert.equal(a[0], 1, "format version 1");
    assert.equal(a.length, 1 + 12 + 16 + secret.length);
    assert.equal(a.indexOf(secret), -1, "no plaintext in the bytes");
  });

  it("refuses a ciphertext moved to another record, kind or scope", () => {
    const sealed = seal(key, secret, binding);
    for (const other of [
      { ...binding, id: "locator-2" },
      { ...binding, kind: "tokenKey" },
      { ...binding, scope: "account-2" },
      { scope: "account-1contentKey", kind: "", id: "locator-1" },
    ]) {
      assert.throws(() => open(key, sealed, other), DecryptionError, JSON.stringify(other));
    }
  });

  it("refuses a wrong key", () => {
    assert.throws(() => open(randomBytes(32), seal(key, secret, binding), binding), DecryptionError);
  });

  it("refuses any altered byte: version, nonce, tag, ciphertext; and truncation", () => {
    const sealed = seal(key, secret, binding);
    for (const position of [1, 5, 13, 20, 29, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[position]! ^= 0x01;
      assert.throws(() => open(key, tampered, binding), DecryptionError, `byte ${position}`);
    }
    assert.throws(() => open(key, sealed.subarray(0, 20), binding), /truncated/);
  });

  it("refuses an unknown format version with a message that says so", () => {
    const future = Buffer.from(seal(key, secret, binding));
    future[0] = 2;
    assert.throws(() => open(key, future, binding), /Unknown envelope format version 2/);
  });

  it("refuses keys that are not 256-bit", () => {
    assert.throws(() => seal(randomBytes(16), secret, binding), RangeError);
  });

  it("seals an empty secret", () => {
    assert.deepEqual(open(key, seal(key, Buffer.alloc(0), binding), binding), Buffer.alloc(0));
  });
});
