/**
 * Key delivery throughput over HTTP, against a baseline measured in the same run:
 * - baseline: a bare node:http server doing the same work per request with everything already in
 *   memory (verify the HS256 JWT, open the sealed content key with AES-256-GCM);
 * - app handler: lib/media/key-delivery.ts (what the route exports) behind node:http: the account
 *   state, content key, locator and policy read from the database on every request, the account
 *   key from the cache;
 * - next: the same through the Next.js production server (`next start`), when a build exists.
 * Prints requests/s and the ratio to the baseline, and the Key Vault calls counted by the
 * emulator after warm-up (expected 0: the cached account key serves every request).
 *
 *   npm run bench -- key-delivery   (REQUESTS=3000 CONCURRENCY=16; TEST_DATABASE=postgresql://… for a server)
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { createAccountFor } from "@/lib/accounts/service";
import { open, seal } from "@/lib/crypto/envelope";
import { demoUsers } from "@/lib/demo/directory";
import { accountKey } from "@/lib/keys/hierarchy";
import { putAssetFor } from "@/lib/media/assets";
import { putContentKeyPolicyFor } from "@/lib/media/content-key-policies";
import { deliverContentKey } from "@/lib/media/key-delivery";
import { listContentKeysFor, putStreamingLocatorFor } from "@/lib/media/streaming-locators";
import { contosoAccount, principalOf, startAppEnvironment } from "@/test/support/app-environment";

const requests = Number(process.env.REQUESTS ?? 3000);
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";

const env = await startAppEnvironment();

const owner = principalOf(demoUsers.owner);
const ref = contosoAccount("benchdelivery");
const scope = { principal: owner, ref };
const tokenKey = randomBytes(40);
const servers: { close(): void }[] = [];

async function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>): Promise<string> {
  const server = http.createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Requests per second for `total` GETs with `concurrency` in flight; every answer must be the key. */
async function load(url: string, authorization: string, expected: Buffer, total: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const res = await fetch(url, { headers: { authorization } });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status !== 200 || !body.equals(expected))
          throw new Error(`${url}: HTTP ${res.status} ${body.toString().slice(0, 200)}`);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

async function startNext(): Promise<{ url: string; stop(): void } | null> {
  if (!existsSync(".next/BUILD_ID")) return null;
  const port = 20_000 + Math.floor(Math.random() * 10_000);
  const child = spawn(
    process.execPath,
    ["node_modules/next/dist/bin/next", "start", "-p", String(port), "-H", "127.0.0.1"],
    { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("Ready") && resolve());
    child.once("exit", (code) => reject(new Error(`next start exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

let next: Awaited<ReturnType<typeof startNext>> = null;
try {
  const account = await createAccountFor(owner, { ...ref, location: "westus2", identityType: "SystemAssigned" });
  await putContentKeyPolicyFor(scope, "signed", {
    properties: {
      options: [
        {
          configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
          restriction: {
            "@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
            issuer: "https://sts.bench",
            audience: "urn:bench",
            primaryVerificationKey: {
              "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
              keyValue: tokenKey.toString("base64"),
            },
            requiredClaims: [{ claimType: KID_CLAIM }],
            restrictionTokenType: "Jwt",
          },
        },
      ],
    },
  });
  await putAssetFor(scope, "movie", {});
  await putStreamingLocatorFor(scope, "stream", {
    properties: {
      assetName: "movie",
      streamingPolicyName: "Predefined_ClearKey",
      defaultContentKeyPolicyName: "signed",
    },
  });
  const { id: kid, value } = (await listContentKeysFor(scope, "stream")).contentKeys[0]!;
  const contentKey = Buffer.from(value!, "base64");
  const jwt = await new SignJWT({ [KID_CLAIM]: kid })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer("https://sts.bench")
    .setAudience("urn:bench")
    .setExpirationTime("1h")
    .sign(tokenKey);
  const authorization = `Bearer ${jwt}`;

  // The baseline holds the same sealed key and the account key in memory: no database, no policy lookup.
  const ak = await accountKey(account);
  const binding = { scope: account.id, kind: "contentKey", id: kid };
  const sealed = seal(ak, contentKey, binding);
  const baseline = await serve(async (req, res) => {
    const { payload } = await jwtVerify(req.headers.authorization!.slice(7), new Uint8Array(tokenKey), {
      algorithms: ["HS256"],
      issuer: "https://sts.bench",
      audience: "urn:bench",
      requiredClaims: ["exp"],
    });
    if (payload[KID_CLAIM] !== kid) throw new Error("kid");
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(open(ak, sealed, binding));
  });
  const app = await serve(async (req, res) => {
    const response = await deliverContentKey(
      new Request(`http://127.0.0.1${req.url}`, { headers: { authorization: req.headers.authorization ?? "" } }),
      account.id,
    );
    res.writeHead(response.status, Object.fromEntries(response.headers)).end(Buffer.from(await response.arrayBuffer()));
  });
  next = await startNext();

  const path = `/keydelivery/${account.id}?kid=${kid}`;
  const targets: [string, string][] = [
    ["baseline (bare node:http)", baseline],
    ["app handler (node:http)", app],
    ...(next ? ([["next start", next.url]] as [string, string][]) : []),
  ];
  for (const [, url] of targets) await load(`${url}${path}`, authorization, contentKey, 200);
  await env.emu.admin("POST", "reset");

  const results: Record<string, number> = {};
  for (const [name, url] of targets) results[name] = await load(`${url}${path}`, authorization, contentKey, requests);
  const calls = await env.emu.keyVaultCalls();
  const base = results["baseline (bare node:http)"]!;
  console.log(`${requests} key requests per target, ${concurrency} in flight, database ${env.database.engine}:`);
  for (const [name, rps] of Object.entries(results))
    console.log(
      `  ${name.padEnd(28)} ${Math.round(rps).toString().padStart(6)} req/s  ratio ${(rps / base).toFixed(3)}`,
    );
  console.log(
    `Key Vault calls after warm-up: ${calls} (expected 0)${next ? "" : "  (no .next build: run `npm run build` to include next start)"}`,
  );
} finally {
  next?.stop();
  for (const s of servers) s.close();
  await env.dispose();
}
