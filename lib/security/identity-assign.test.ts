/**
 * Attack: attaching someone else's user-assigned identity to an account. The identity's Key Vault
 * rights become the service's for that account, so the caller needs what Azure asks for: the
 * identity's assign action (Managed Identity Operator or above), not merely reading it. Through
 * the REST API's route handler in-process, with the emulator's ARM answering the permissions.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions, demoTenants } from "@/lib/demo/directory";
import { handleMediaApi } from "@/lib/arm/media-api";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

const sub = demoSubscriptions.contosoMedia.id;
const identityId = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-payments`;
const accountUrl = (name: string) =>
  `http://localhost/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${name}?api-version=2021-11-01`;
/** A Contributor of the media subscription who holds only Reader on the identity in ARM. */
const contributor = { objectId: randomUUID(), tenant: demoTenants.contoso.id, name: "Cara Contributor" };

let env: AppEnvironment;
let token: string;
let identity: { principalId: string; clientId: string };

function call(method: string, name: string, body?: unknown) {
  return handleMediaApi(
    new Request(accountUrl(name), {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
}

const withIdentity = {
  location: "westus2",
  identity: { type: "UserAssigned", userAssignedIdentities: { [identityId]: {} } },
};

before(async () => {
  env = await startAppEnvironment();
  const created = await env.emu.armFetch("PUT", identityId, { location: "westus2" });
  const { principalId, clientId } = (created.json as { properties: { principalId: string; clientId: string } })
    .properties;
  identity = { principalId, clientId };
  await env.database.db.roleAssignment.create({
    data: { subscriptionId: sub, principalId: contributor.objectId, role: "Contributor" },
  });
  await env.emu.assignRole(identityId, "Reader", contributor.objectId);
  token = await env.emu.userToken(contributor);
});
after(async () => env?.dispose());

describe("attack: attaching a user-assigned identity the caller may only read", () => {
  it("a caller with Reader on the identity gets 403 LinkedAuthorizationFailed, and nothing is created", async () => {
    const res = await call("PUT", "stolenidentity", withIdentity);
    assert.equal(res.status, 403);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, "LinkedAuthorizationFailed");
    assert.match(error.message, /userAssignedIdentities\/assign\/action/);
    assert.equal((await call("GET", "stolenidentity")).status, 404, "checked before the account was created");
  });

  it("nor can it add the identity to an account it already may change", async () => {
    assert.equal((await call("PUT", "ownaccount", { location: "westus2" })).status, 201);
    const res = await call("PATCH", "ownaccount", { identity: withIdentity.identity });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "LinkedAuthorizationFailed");
    const account = (await (await call("GET", "ownaccount")).json()) as {
      identity: { userAssignedIdentities?: unknown };
    };
    assert.equal(account.identity.userAssignedIdentities, undefined);
  });

  it("once Managed Identity Operator on the identity, the same caller attaches it", async () => {
    await env.emu.assignRole(identityId, "Managed Identity Operator", contributor.objectId);
    const res = await call("PUT", "assignedidentity", withIdentity);
    assert.equal(res.status, 201, JSON.stringify(await res.clone().json()));
    const account = (await res.json()) as {
      identity: { type: string; userAssignedIdentities: Record<string, { principalId: string; clientId: string }> };
    };
    assert.equal(account.identity.type, "UserAssigned");
    assert.deepEqual(account.identity.userAssignedIdentities[identityId], identity);
  });
});
