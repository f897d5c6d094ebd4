/**
 * Tokens for API tests: real ones from the emulated Entra ID (client credentials), and ones
 * signed with the emulator's own key (read from its state) to act as a given user or to twist
 * one claim at a time (expired, wrong audience, unknown tenant).
 */
import { generateKeyPairSync } from "node:crypto";
import { ClientSecretCredential } from "@azure/identity";
import { SignJWT, importJWK, type JWK } from "jose";
import { emulatorAgent, emulatorState, e2eStack } from "./stack";

const emulatorKey = () => emulatorState<{ signingKey: JWK }>().signingKey;

export async function mintToken(
  claims: { oid: string; tid: string; name?: string; idtyp?: string },
  twist: { expired?: boolean; audience?: string; foreignKey?: boolean } = {},
) {
  const key = emulatorKey();
  const now = Math.floor(Date.now() / 1000);
  // As Entra ID issues them: a user's ARM token carries its delegated scope, an app's names the client.
  const grant =
    claims.idtyp === "app"
      ? { appid: claims.oid }
      : { scp: "user_impersonation", azp: "04b07795-8ddb-461a-bbee-02f9e1bf7b46" };
  const jwt = new SignJWT({ ...claims, ...grant, ver: "2.0" })
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(`${e2eStack.emulatorUrl}/${claims.tid}/v2.0`)
    .setAudience(twist.audience ?? e2eStack.emulatorUrl)
    .setIssuedAt(now - 7200)
    .setExpirationTime(twist.expired ? now - 3600 : now + 3600);
  return jwt.sign(
    twist.foreignKey ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey : await importJWK(key, "RS256"),
  );
}

/** A real client-credentials token from the emulator, as a script or the Azure SDK would get one. */
export async function clientCredentialsToken(app: { tenantId: string; clientId: string; secret: string }) {
  const credential = new ClientSecretCredential(app.tenantId, app.clientId, app.secret, {
    authorityHost: e2eStack.emulatorUrl,
    disableInstanceDiscovery: true,
    agent: emulatorAgent(),
  });
  return (await credential.getToken(`${e2eStack.emulatorUrl}/.default`)).token;
}
