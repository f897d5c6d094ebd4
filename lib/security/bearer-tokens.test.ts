/**
 * Attacks on the REST API's bearer-token check, in the azure profile's defaults (the audience is
 * the portal's App ID URI), against the emulated Entra ID: its real tokens, and tokens forged or
 * twisted with its own signing key.
 */
import assert from "node:assert/strict";
import { createHmac, createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import https from "node:https";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { rootCertificates } from "node:tls";
import { after, before, describe, it, mock } from "node:test";
import { SignJWT, decodeJwt, importJWK, type JWK } from "jose";
import { startTestEmulator, httpsJson, type TestEmulator } from "@/emulator/test-support";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { seedDemo } from "@/lib/db/seed";
import { demoAutomationApp, demoPlatform, demoPortalApp, demoTenants, demoUsers } from "@/lib/demo/directory";
import { DomainError } from "@/lib/errors";
import { principalFromBearer } from "@/lib/auth/bearer";

let emu: TestEmulator;
let database: TestDatabase;
let dataDir: string;
const apiAudience = `api://${demoPortalApp.clientId}`;
const contoso = demoTenants.contoso.id;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "byok-bearer-"));
  emu = await startTestEmulator({ dataDir: path.join(dataDir, "emulator") });
  // The azure profile, with Entra ID at the emulator: the app trusts the system's CAs there, so
  // this process's default agent trusts the emulator's CA too (as NODE_EXTRA_CA_CERTS would).
  https.globalAgent.options.ca = [...rootCertificates, emu.caPem];
  Object.assign(process.env, {
    APP_PROFILE: "azure",
    DATA_DIR: dataDir,
    PUBLIC_URL: "https://media.example.com",
    AZURE_TENANT_ID: demoPortalApp.tenantId,
    AZURE_CLIENT_ID: demoPortalApp.clientId,
    AZURE_CLIENT_SECRET: demoPortalApp.secret,
    AZURE_AUTHORITY_HOST: emu.url,
    ARM_ENDPOINT: emu.url,
    SYSTEM_KEY_ID: `${emu.vaultUrl(demoPlatform.systemVault)}/keys/${demoPlatform.systemKey}`,
    SERVICE_IDENTITY_CLIENT_ID: demoPlatform.serviceIdentity.clientId,
    SESSION_SECRET: "s".repeat(32),
  });
  database = await createTestDatabase({ forApp: true });
  await seedDemo(database.db);
});

after(async () => {
  await database?.drop();
  await emu?.dispose();
  await rm(dataDir, { recursive: true, force: true });
});

/** The owner signs in to the portal at the emulated Entra ID (authorization code): its ID token and an access token for `scope`. */
async function signInAsOwner(scope: string): Promise<{ idToken: string; accessToken: string }> {
  const redirectUri = "http://localhost:3000/auth/callback";
  const form = (fields: Record<string, string>) => ({
    body: new URLSearchParams(fields).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  const authorize = form({
    client_id: demoPortalApp.clientId,
    redirect_uri: redirectUri,
    response_type: "code",
    scope,
    nonce: "n-1",
    login_user: demoUsers.owner.objectId,
  });
  const redirected = await httpsJson(
    emu.agent,
    "POST",
    `${emu.url}/${contoso}/oauth2/v2.0/authorize`,
    authorize.body,
    authorize.headers,
  );
  const code = new URL(redirected.headers.location!).searchParams.get("code")!;
  const exchange = form({
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri,
    client_id: demoPortalApp.clientId,
    client_secret: demoPortalApp.secret,
    scope,
  });
  const tokens = (
    await httpsJson(emu.agent, "POST", `${emu.url}/${contoso}/oauth2/v2.0/token`, exchange.body, exchange.headers)
  ).json as { id_token: string; access_token: string };
  return { idToken: tokens.id_token, accessToken: tokens.access_token };
}

const emulatorKey = () =>
  (JSON.parse(readFileSync(path.join(emu.dataDir, "state.json"), "utf8")) as { signingKey: JWK }).signingKey;

/** A token signed with Entra ID's (the emulator's) real key, with the header and claims given. */
async function signedByEntra(claims: Record<string, unknown>, header: { kid?: string } = {}) {
  const key = emulatorKey();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: header.kid ?? key.kid })
    .sign(await importJWK(key, "RS256"));
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

async function refusal(token: string): Promise<DomainError> {
  const err = await principalFromBearer(`Bearer ${token}`).then(
    (principal) => assert.fail(`accepted as ${JSON.stringify(principal)}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DomainError, String(err));
  assert.equal(err.status, 401);
  return err;
}

const jwksFetches = async () =>
  ((await emu.admin("GET", "counters")).json as { entra?: { "-"?: { jwks?: number } } }).entra?.["-"]?.jwks ?? 0;

describe("attacks on the API's bearer tokens", () => {
  // First in the file: the signing keys are not cached yet.
  it("a burst of tokens, then of unknown kids, fetches the JWKS once (single flight) and at most once a minute", async () => {
    const { accessToken } = await signInAsOwner(`openid profile ${apiAudience}/user_impersonation`);
    const claims = decodeJwt(accessToken);
    await emu.admin("POST", "reset");
    const burst = await Promise.all(Array.from({ length: 8 }, () => principalFromBearer(`Bearer ${accessToken}`)));
    assert.ok(burst.every((p) => p.objectId === demoUsers.owner.objectId));
    assert.equal(await jwksFetches(), 1, "eight concurrent requests on a cold cache: one fetch");

    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    try {
      const unknownKid = await signedByEntra(claims, { kid: "rotated-or-made-up" });
      const misses = async () => Promise.all(Array.from({ length: 8 }, () => refusal(unknownKid)));
      await misses();
      assert.equal(await jwksFetches(), 1, "unknown kids right after a fetch: no refetch");
      mock.timers.tick(61_000);
      await misses();
      assert.equal(await jwksFetches(), 2, "a minute later, eight concurrent unknown kids: one refetch");
      await misses();
      mock.timers.tick(30_000);
      await misses();
      assert.equal(await jwksFetches(), 2, "and then none for a minute");
    } finally {
      mock.timers.reset();
    }
  });

  it("the portal's own ID token (from a real sign-in) is refused as an API token", async () => {
    const { idToken } = await signInAsOwner(`openid profile ${apiAudience}/user_impersonation`);
    assert.equal(decodeJwt(idToken).aud, demoPortalApp.clientId);
    await refusal(idToken);
    // Even where the bare client id is an accepted audience (v2 access tokens), an ID token is not an access token.
    const claims = decodeJwt(idToken);
    await refusal(await signedByEntra({ ...claims, aud: apiAudience }));
  });

  it("an app token for the API with no app role granted (client credentials) is refused", async () => {
    // The portal's own registration holds no app role of the API (the automation app does).
    const token = (await emu
      .clientSecret(demoPortalApp.tenantId, demoPortalApp.clientId, demoPortalApp.secret)
      .getToken(`${apiAudience}/.default`))!.token;
    assert.equal(decodeJwt(token).aud, apiAudience);
    assert.ok(!(decodeJwt(token).roles as unknown[] | undefined)?.length, "no app role granted");
    await refusal(token);
  });

  it("a token with a wrong issuer is refused: another authority, or another tenant than its tid", async () => {
    const { accessToken } = await signInAsOwner(`openid ${apiAudience}/user_impersonation`);
    const claims = decodeJwt(accessToken);
    await refusal(await signedByEntra({ ...claims, iss: `https://login.evil.example/${contoso}/v2.0` }));
    await refusal(await signedByEntra({ ...claims, iss: `${emu.url}/${demoTenants.fabrikam.id}/v2.0` }));
  });

  it("an unsigned token (alg: none) is refused", async () => {
    const { accessToken } = await signInAsOwner(`openid ${apiAudience}/user_impersonation`);
    const payload = accessToken.split(".")[1];
    await refusal(`${b64url({ alg: "none", typ: "JWT" })}.${payload}.`);
    await refusal(`${b64url({ alg: "none", typ: "JWT", kid: emulatorKey().kid })}.${payload}.`);
  });

  it("an HS256 token whose HMAC key is the JWKS's public key is refused", async () => {
    const { accessToken } = await signInAsOwner(`openid ${apiAudience}/user_impersonation`);
    const jwks = (await httpsJson(emu.agent, "GET", `${emu.url}/common/discovery/v2.0/keys`)).json as {
      keys: (JWK & { kid: string })[];
    };
    const publicJwk = jwks.keys[0]!;
    const pem = createPublicKey({ key: publicJwk, format: "jwk" }).export({ type: "spki", format: "pem" });
    for (const secret of [pem, JSON.stringify(publicJwk)]) {
      const signingInput = `${b64url({ alg: "HS256", typ: "JWT", kid: publicJwk.kid })}.${accessToken.split(".")[1]}`;
      await refusal(`${signingInput}.${createHmac("sha256", secret).update(signingInput).digest("base64url")}`);
    }
  });

  it("a user's access token for the API, with its scope, is accepted", async () => {
    const { accessToken } = await signInAsOwner(`openid ${apiAudience}/user_impersonation`);
    assert.equal(decodeJwt(accessToken).scp, "user_impersonation");
    const principal = await principalFromBearer(`Bearer ${accessToken}`);
    assert.deepEqual(principal, {
      objectId: demoUsers.owner.objectId,
      tenantId: contoso,
      kind: "user",
      name: demoUsers.owner.name,
    });
  });

  it("an app token with an app role granted is accepted as an app", async () => {
    const app = await emu.automation.getToken(`${apiAudience}/.default`);
    const token = await signedByEntra({ ...decodeJwt(app!.token), roles: ["Accounts.ReadWrite.All"] });
    assert.deepEqual(await principalFromBearer(`Bearer ${token}`), {
      objectId: demoAutomationApp.objectId,
      tenantId: contoso,
      kind: "app",
      name: demoAutomationApp.clientId,
    });
  });
  it("with Entra ID's keys endpoint failing, the keys held keep verifying and a failed fetch is tried once a minute at most", async () => {
    const { accessToken } = await signInAsOwner(`openid ${apiAudience}/user_impersonation`);
    const claims = decodeJwt(accessToken);
    mock.timers.enable({ apis: ["Date"], now: Date.now() });
    await emu.admin("POST", "faults", { target: "entra", operation: "jwks", kind: "status", status: 503 });
    try {
      mock.timers.tick(61 * 60_000); // the cached keys are past their hour
      const now = Math.floor(Date.now() / 1000);
      const fresh = await signedByEntra({ ...claims, iat: now, nbf: now, exp: now + 3600 });
      const before = await jwksFetches();
      const accepted = await Promise.all(Array.from({ length: 5 }, () => principalFromBearer(`Bearer ${fresh}`)));
      assert.ok(
        accepted.every((p) => p.objectId === demoUsers.owner.objectId),
        "the stale keys still verify",
      );
      for (let i = 0; i < 5; i++) await principalFromBearer(`Bearer ${fresh}`);
      await refusal(await signedByEntra(claims, { kid: "made-up-during-outage" }));
      assert.equal((await jwksFetches()) - before, 1, "one failed fetch, not one per request");
      mock.timers.tick(61_000);
      await principalFromBearer(`Bearer ${fresh}`);
      assert.equal((await jwksFetches()) - before, 2, "a minute later, one more try");
    } finally {
      await emu.admin("DELETE", "faults");
      mock.timers.reset();
    }
  });
});
