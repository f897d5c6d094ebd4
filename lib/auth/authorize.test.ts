import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { DomainError } from "@/lib/errors";
import * as authz from "./authorize";

let t: TestDatabase;

const tenantA = "11111111-1111-4111-8111-111111111111";
const tenantB = "22222222-2222-4222-8222-222222222222";
const subA = "aaaaaaaa-0000-4000-8000-00000000000a";
const subA2 = "aaaaaaaa-0000-4000-8000-0000000000a2";
const subB = "bbbbbbbb-0000-4000-8000-00000000000b";
const owner = {
  objectId: "0000000a-0000-4000-8000-000000000001",
  tenantId: tenantA,
  kind: "user" as const,
  name: "Owner",
};
const reader = {
  objectId: "0000000a-0000-4000-8000-000000000002",
  tenantId: tenantA,
  kind: "user" as const,
  name: "Reader",
};

before(async () => {
  t = await createTestDatabase({ forApp: true });
  await t.db.subscription.createMany({
    data: [
      { id: subA, displayName: "A", tenantId: tenantA },
      { id: subA2, displayName: "A2", tenantId: tenantA },
      { id: subB, displayName: "B", tenantId: tenantB },
    ],
  });
  await t.db.roleAssignment.createMany({
    data: [
      { subscriptionId: subA, principalId: owner.objectId, role: "Owner" },
      { subscriptionId: subA2, principalId: owner.objectId, role: "Reader" },
      { subscriptionId: subA, principalId: reader.objectId, role: "Reader" },
      // A role in another tenant's subscription never counts for a token of tenant A.
      { subscriptionId: subB, principalId: owner.objectId, role: "Owner" },
    ],
  });
});
after(async () => t?.drop());

describe("authorization", () => {
  it("lists readable and writable subscriptions of the principal's own tenant only", async () => {
    assert.deepEqual(
      await authz.accessOf(owner).then(({ readable, writable }) => ({ readable: readable.sort(), writable })),
      { readable: [subA, subA2].sort(), writable: [subA] },
    );
    assert.deepEqual(await authz.accessOf(reader).then(({ readable, writable }) => ({ readable, writable })), {
      readable: [subA],
      writable: [],
    });
    assert.deepEqual(
      (await authz.accessOf({ ...owner, tenantId: tenantB })).readable,
      [subB],
      "the same object id in tenant B sees B only",
    );
  });

  it("allows reads to any role and writes to Owner/Contributor, whatever the case of the id", async () => {
    await authz.authorize(reader, {
      subscriptionId: subA.toUpperCase(),
      action: "read",
      operation: "read",
      target: "/x",
    });
    await authz.authorize(owner, { subscriptionId: subA, action: "write", operation: "write", target: "/x" });
  });

  it("refuses and audits a write by a reader and any access without a role, with principal, target and reason", async () => {
    const refuse = (p: typeof owner, sub: string, action: "read" | "write", target: string) =>
      assert.rejects(
        authz.authorize(p, { subscriptionId: sub, action, operation: `op.${action}`, target }),
        (err: unknown) => err instanceof DomainError && err.code === "AuthorizationFailed" && err.status === 403,
      );
    await refuse(reader, subA, "write", "/subscriptions/a/x");
    await refuse(owner, subA2, "write", "/subscriptions/a2/y");
    await refuse(reader, subB, "read", "/subscriptions/b/z");
    const events = await t.db.auditEvent.findMany({
      where: { outcome: "denied" },
      orderBy: { id: "asc" },
      select: { actor: true, action: true, detail: true },
    });
    assert.deepEqual(events, [
      {
        actor: reader.objectId,
        action: "op.write",
        detail: { target: "/subscriptions/a/x", reason: "read-only role" },
      },
      {
        actor: owner.objectId,
        action: "op.write",
        detail: { target: "/subscriptions/a2/y", reason: "read-only role" },
      },
      {
        actor: reader.objectId,
        action: "op.read",
        detail: { target: "/subscriptions/b/z", reason: "no role on the subscription" },
      },
    ]);
  });
});
