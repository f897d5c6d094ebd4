import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError } from "@/lib/errors";
import {
  allowedOperations,
  assertAllowed,
  blockedOperations,
  decide,
  keyStateOf,
  operations,
  type Operation,
} from "./policy";

const states = {
  SystemKey: { encryptionType: "SystemKey", keyStatus: "Active" },
  CustomerKey: {
    encryptionType: "CustomerKey",
    keyStatus: "Active",
    keyIdentifier: "https://kv.vault.azure.net/keys/k",
  },
  CustomerKeyInaccessible: {
    encryptionType: "CustomerKey",
    keyStatus: "Inaccessible",
    keyStatusReason: "KeyDisabled",
    keyStatusMessage: "The key is disabled.",
    keyIdentifier: "https://kv.vault.azure.net/keys/k",
  },
} as const;

describe("operation policy: every operation in every state", () => {
  const allowedWhenInaccessible: Operation[] = ["account.read", "account.list", "account.delete", "key.check"];
  for (const [state, account] of Object.entries(states)) {
    for (const operation of Object.keys(operations) as Operation[]) {
      const expected = state !== "CustomerKeyInaccessible" || allowedWhenInaccessible.includes(operation);
      it(`${state} × ${operation}: ${expected ? "allowed" : "blocked"}`, () => {
        assert.equal(keyStateOf(account), state);
        assert.equal(decide(account, operation).allowed, expected);
        if (expected) assertAllowed(account, operation);
        else {
          assert.throws(
            () => assertAllowed(account, operation),
            (err: unknown) =>
              err instanceof DomainError && err.code === "CustomerKeyInaccessible" && err.status === 403,
          );
        }
      });
    }
  }

  it("says why and how to restore, and the dashboard lists exactly the blocked operations", () => {
    const decision = decide(states.CustomerKeyInaccessible, "keyDelivery");
    assert.equal(decision.allowed, false);
    assert.match(!decision.allowed ? decision.message : "", /KeyDisabled.*Restore the account identity's access/s);
    assert.deepEqual(
      blockedOperations(states.CustomerKeyInaccessible)
        .map((b) => b.operation)
        .sort(),
      (Object.keys(operations) as Operation[]).filter((o) => !allowedWhenInaccessible.includes(o)).sort(),
    );
    assert.deepEqual(blockedOperations(states.CustomerKey), []);
  });

  it("words the blocked message from the table: it lists what still works, names no button, and never says a blocked operation works", () => {
    for (const operation of Object.keys(operations) as Operation[]) {
      const decision = decide(states.CustomerKeyInaccessible, operation);
      if (decision.allowed) continue;
      const stillWorks = decision.message.split("Until then only these work: ")[1] ?? "";
      assert.deepEqual(
        stillWorks.replace(/\.$/, "").split(", "),
        allowedWhenInaccessible.map((o) => operations[o].toLowerCase()),
        operation,
      );
      assert.doesNotMatch(decision.message, /Check now/i, operation);
      assert.ok(!stillWorks.includes(operations[operation].toLowerCase()), `${operation} is not said to work`);
    }
  });

  it("the dashboard's still-allowed list is the table's: with the blocked list it covers every operation, once", () => {
    for (const account of Object.values(states)) {
      const allowed = allowedOperations(account).map((a) => a.operation);
      const blocked = blockedOperations(account).map((b) => b.operation);
      assert.deepEqual([...allowed, ...blocked].sort(), (Object.keys(operations) as Operation[]).sort());
      for (const a of allowedOperations(account)) assert.equal(a.label, operations[a.operation]);
    }
    assert.deepEqual(
      allowedOperations(states.CustomerKeyInaccessible).map((a) => a.operation),
      allowedWhenInaccessible,
    );
  });
});
