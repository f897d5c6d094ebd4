/**
 * The portal actions that e2e/cross-tenant.spec.ts lists as held here: each calls a lib/
 * operation that authorizes the principal on the account it names, so a user of another tenant
 * who forges the account fields of the form reaches nothing of Contoso's.
 */
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { updateAccountFor } from "@/lib/accounts/changes";
import { writableAccountFor } from "@/lib/accounts/service";
import { demoUsers } from "@/lib/demo/directory";
import { enableInstantDetectionFor } from "@/lib/events/instant-detection";
import { mintPlayerTokenFor } from "@/lib/media/player";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

let env: AppEnvironment;
before(async () => {
  env = await startAppEnvironment();
});
after(async () => env?.dispose());

const outsider = principalOf(demoUsers.outsider);
const contoso = contosoAccount("contosomedia");
const refused = (err: Error & { code?: string }) => {
  assert.equal(err.code, "AuthorizationFailed", err.message);
  return true;
};

it("mintPlayerTokenAction: a Fabrikam user gets no token for a Contoso locator", async () => {
  await assert.rejects(mintPlayerTokenFor({ principal: outsider, ref: contoso }, "demo-clear"), refused);
});

it("addSystemIdentityAction, attachUserIdentityAction, grantKeyAccessAction: a Fabrikam user can neither change nor read a Contoso account to act on", async () => {
  await assert.rejects(updateAccountFor(outsider, contoso, { identityType: "SystemAssigned" }), refused);
  await assert.rejects(writableAccountFor(outsider, contoso), refused);
});

it("enableInstantDetectionAction: a Fabrikam user cannot subscribe a Contoso account's vault, whatever ARM token it holds", async () => {
  await assert.rejects(enableInstantDetectionFor(outsider, contoso, "not-used"), refused);
});
