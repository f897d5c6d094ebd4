/**
 * Tokens for API tests: real ones from the emulated Entra ID (client credentials), and ones
 * signed with the emulator's own key (read from its state) to act as a given user or to twist
 * one claim at a time (expired, wrong audience, unknown tenant).
 */
import { generateKeyPairSync } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import { test } from "@playwright/test";
import { SignJWT, importJWK, type JWK } from "jose";
import { demoApiAppRole, demoPortalApp } from "../lib/demo/directory";
import { emulatorAgent, emulatorState, e2eStack } from "./stack";

/** The API's App ID URI: the portal's app registration is the API's too. */
export const apiAppIdUri = `api://${demoPortalApp.clientId}`;

/**
 * How the running Playwright project calls the REST API (see playwright.config.ts): "arm" through
 * the emulator's ARM front door with ARM tokens, "direct" at the portal's own URL with tokens for
 * the API's App ID URI, as clients do in Azure.
 */
export function apiMode(): "arm" | "direct" {
  return test.info().project.metadata?.apiMode === "direct" ? "direct" : "arm";
}

/** The audience of REST API tokens in this project's mode. */
export const apiAudience = () => (apiMode() === "direct" ? apiAppIdUri : e2eStack.emulatorUrl);

const emulatorKey = () => emulatorState<{ signingKey: JWK }>().signingKey;

/** A token for the API in this project's mode (ARM's audience, or the API's App ID URI), as Entra ID would issue it, or twisted. */
export async function mintToken(
  claims: { oid: string; tid: string; name?: string; idtyp?: string },
  twist: { expired?: boolean; audience?: string; foreignKey?: boolean } = {},
) {
  const key = emulatorKey();
  const now = Math.floor(Date.now() / 1000);
  const audience = twist.audience ?? apiAudience();
  // As Entra ID issues them: a user's token carries its delegated scope, an app's names the client
  // (and, for the API's App ID URI, the app role it was assigned; ARM grants apps nothing in the token).
  const grant =
    claims.idtyp === "app"
      ? { appid: claims.oid, ...(audience === apiAppIdUri ? { roles: [demoApiAppRole] } : {}) }
      : { scp: "user_impersonation", azp: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" };
  const jwt = new SignJWT({ ...claims, ...grant, ver: "2.0" })
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(`${e2eStack.emulatorUrl}/${claims.tid}/v2.0`)
    .setAudience(audience)
    .setIssuedAt(now - 7200)
    .setExpirationTime(twist.expired ? now - 3600 : now + 3600);
  return jwt.sign(
    twist.foreignKey ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey : await importJWK(key, "RS256"),
  );
}

/** A real client-credentials token from the emulator (for ARM unless `resource` says otherwise), as a script or the Azure SDK would get one. */
export async function clientCredentialsToken(
  app: { tenantId: string; clientId: string; secret: string },
  resource = e2eStack.emulatorUrl,
) {
  const credential = new ClientSecretCredential(app.tenantId, app.clientId, app.secret, {
    authorityHost: e2eStack.emulatorUrl,
    disableInstanceDiscovery: true,
    agent: emulatorAgent(),
  });
  return (await credential.getToken(`${resource}/.default`)).token;
}
