import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeTransition, keyNameOf } from "./key-state-words";

const kid = "https://contoso-byok.vault.localhost:8443/keys/rsa-3072/0123456789abcdef0123456789abcdef";

describe("key state in words", () => {
  it("names the key of a transition, not the state machine's codes", () => {
    assert.equal(
      describeTransition({
        fromState: "SystemKey",
        toState: "CustomerKey",
        reason: "CustomerKeyConfigured",
        detail: kid,
      }),
      "Switched to the customer key rsa-3072",
    );
    assert.equal(
      describeTransition({
        fromState: "CustomerKey",
        toState: "SystemKey",
        reason: "SystemKeyConfigured",
        detail: "x",
      }),
      "Switched back to the system key",
    );
    assert.equal(
      describeTransition({
        fromState: "CustomerKey",
        toState: "CustomerKey",
        reason: "Rewrap",
        detail: `new key version: ${kid}`,
      }),
      "Account key re-wrapped by a new version of rsa-3072",
    );
    assert.equal(
      describeTransition({
        fromState: "CustomerKey",
        toState: "CustomerKeyInaccessible",
        reason: "KeyDisabled",
        detail: "The key is disabled.",
      }),
      "The key became inaccessible: The key is disabled.",
    );
  });

  it("reads a key id, with or without a version, as its name", () => {
    assert.equal(keyNameOf("https://contoso-byok.vault.localhost:8443/keys/rsa-3072"), "rsa-3072");
    assert.equal(keyNameOf(kid), "rsa-3072");
    assert.equal(keyNameOf(null), "");
  });
});
