/**
 * msal-node's authorization-code flow (PKCE, state, nonce) completes against the emulated
 * Entra ID in Chromium: a real browser follows the redirects and picks a user on the sign-in page.
 * The browser trusts exactly the emulator's certificate key (by its SPKI hash), nothing else.
 */
import { createHash, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { ConfidentialClientApplication, CryptoProvider } from "@azure/msal-node";
import { chromium, expect, test } from "@playwright/test";
import { localAzureAgent } from "../lib/azure/local-agent";
import { msalNetworkClient } from "../lib/azure/msal-network";
import { demoPortalApp, demoTenants, demoUsers } from "../lib/demo/directory";
import { e2eStack } from "./stack";

test("msal-node signs a seeded user in through the emulator's sign-in page", async ({ browserName }) => {
  test.skip(browserName !== "chromium");
  const tlsDir = path.join(e2eStack.dataDir, "emulator", "tls");
  const ca = readFileSync(path.join(tlsDir, "ca.pem"), "utf8");
  const serverCert = new X509Certificate(readFileSync(path.join(tlsDir, "server.pem")));
  const spki = createHash("sha256")
    .update(serverCert.publicKey.export({ type: "spki", format: "der" }))
    .digest("base64");

  const authority = `${e2eStack.emulatorUrl}/${demoTenants.contoso.id}`;
  const msal = new ConfidentialClientApplication({
    auth: {
      clientId: demoPortalApp.clientId,
      clientSecret: demoPortalApp.secret,
      authority,
      knownAuthorities: [new URL(authority).host],
    },
    system: { networkClient: msalNetworkClient(localAzureAgent(ca)) },
  });
  const pkce = await new CryptoProvider().generatePkceCodes();
  const results: {
    username?: string;
    oid?: string;
    audience?: string;
    stateOk?: boolean;
    nonceOk?: boolean;
    refreshedAudience?: string;
  } = {};
  const state = "e2e-state-value";

  const app = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const redirectUri = `http://localhost:${(app.address() as AddressInfo).port}/auth/callback`;
    if (url.pathname === "/login") {
      const target = await msal.getAuthCodeUrl({
        scopes: ["openid", "profile", `${e2eStack.emulatorUrl}/user_impersonation`],
        redirectUri,
        codeChallenge: pkce.challenge,
        codeChallengeMethod: "S256",
        state,
        nonce: "e2e-nonce",
      });
      res.writeHead(302, { Location: target }).end();
      return;
    }
    if (url.pathname !== "/auth/callback") {
      res.writeHead(404).end();
      return;
    }
    const code = url.searchParams.get("code")!;
    // The state and nonce a web app kept from the login request; MSAL 7 checks the returned
    // state against request.state and the ID token's nonce against request.nonce.
    const result = await msal.acquireTokenByCode(
      {
        code,
        scopes: [`${e2eStack.emulatorUrl}/user_impersonation`],
        redirectUri,
        codeVerifier: pkce.verifier,
        state,
        nonce: "e2e-nonce",
      },
      { code, state: url.searchParams.get("state") ?? undefined },
    );
    results.username = result.account?.username;
    results.oid = result.uniqueId;
    results.audience = JSON.parse(Buffer.from(result.accessToken.split(".")[1]!, "base64url").toString()).aud;
    results.stateOk = url.searchParams.get("state") === state;
    results.nonceOk = (result.idTokenClaims as { nonce?: string }).nonce === "e2e-nonce";
    // A token for another resource, as the signed-in user, through the refresh token.
    const vault = await msal.acquireTokenSilent({
      account: result.account!,
      scopes: ["https://vault.localhost/user_impersonation"],
      forceRefresh: true,
    });
    results.refreshedAudience = JSON.parse(Buffer.from(vault.accessToken.split(".")[1]!, "base64url").toString()).aud;
    res.writeHead(200, { "content-type": "text/html" }).end(`<h1>Signed in as ${result.account?.name}</h1>`);
  });
  await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--no-first-run",
      "--disable-quic",
      `--ignore-certificate-errors-spki-list=${spki}`,
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://localhost:${(app.address() as AddressInfo).port}/login`);
    await expect(page.getByRole("heading", { name: "Pick an account" })).toBeVisible();
    await expect(page.getByRole("button", { name: new RegExp(demoUsers.outsider.upn) })).toHaveCount(0);
    await page.getByRole("button", { name: new RegExp(demoUsers.owner.upn) }).click();
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(`Signed in as ${demoUsers.owner.name}`);
    expect(results).toEqual({
      username: demoUsers.owner.upn,
      oid: demoUsers.owner.objectId,
      audience: e2eStack.emulatorUrl,
      stateOk: true,
      nonceOk: true,
      refreshedAudience: "https://vault.localhost",
    });
  } finally {
    await browser.close();
    app.close();
  }
});
