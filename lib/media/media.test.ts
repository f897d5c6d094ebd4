/**
 * The secrets under the account key, through lib/ against the emulator and a real database:
 * content key policies, streaming locators, jobs with JobInputHttp and key delivery, each
 * refused while the customer key is inaccessible and back with the same keys when it returns.
 */
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes, randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import "reflect-metadata"; // @peculiar/x509 needs it loaded first
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { importPKCS8, SignJWT } from "jose";
import { demoUsers, demoVaults } from "@/lib/demo/directory";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { encodingsOf, findInDatabase } from "@/test/support/database-scan";
import { customerKeyAccount, type KeyAccess } from "@/test/support/key-access";
import * as service from "@/lib/accounts/service";
import * as hierarchy from "@/lib/keys/hierarchy";
import { policies } from "@/test/support/media-api";
import { assets } from "@/test/support/media-api";
import { locators } from "@/test/support/media-api";
import { transforms } from "@/test/support/media-api";
import { jobs } from "@/test/support/media-api";
import * as runner from "./job-runner";
import * as jobStore from "./job-store";
import * as delivery from "./key-delivery";

process.env.JOB_POLL_INTERVAL_SECONDS = "0.2";
const owner = principalOf(demoUsers.owner);
const reader = principalOf(demoUsers.reader);
const ref = contosoAccount("mediasecrets");
const scope = { principal: owner, ref };
const tokenKey = randomBytes(40);
const suppliedKey = randomBytes(16);
const suppliedKid = randomUUID();
const inputBody = randomBytes(200_000);
const SAS = `sv=2024-11-04&sig=${randomBytes(24).toString("base64url")}`;
const issuer = "https://issuer.contoso.localhost";
const audience = "urn:contoso:player";
const KID_CLAIM = "urn:microsoft:azure:mediaservices:contentkeyidentifier";

const lib = {
  service,
  hierarchy,
  policies,
  assets,
  locators,
  transforms,
  jobs,
  runner,
  jobStore,
  delivery,
};
let env: AppEnvironment;
let server: http.Server;
let inputBase: string;
let accountId: string;
let keyAccess: KeyAccess;
let generatedKid: string;
let generatedKey: Buffer;
/** A key of the "rsa" policy (its tokens verify without the account key), and a valid token for it. */
let rsaDelivery: { kid: string; key: Buffer; token: string };

const token = (
  claims: Record<string, unknown>,
  key: Uint8Array = tokenKey,
  exp: string | number = "5m",
  aud = audience,
) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(issuer)
    .setAudience(aud)
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key);

async function deliver(kid: string, jwt?: string, headers?: string[]) {
  const res = await lib.delivery.deliverContentKey(
    new Request(`http://localhost/keydelivery/${accountId}?kid=${kid}`, {
      headers: jwt ? { authorization: `Bearer ${jwt}` } : {},
    }),
    accountId,
  );
  return {
    status: res.status,
    bytes: Buffer.from(await res.arrayBuffer()),
    ...(headers ? { headers: headers.map((h) => res.headers.get(h)) } : {}),
  };
}

const check = () => keyAccess.check();

/** A policy whose one option has `restriction`, and a ClearKey locator under it: the policy's PUT and the locator's key. */
async function lockedStream(policy: string, restriction: Record<string, unknown>, locator: string) {
  const put = await lib.policies.putContentKeyPolicyFor(scope, policy, {
    properties: { options: [{ ...policyBody.properties.options[0], restriction }] },
  });
  await lib.locators.putStreamingLocatorFor(scope, locator, {
    properties: { assetName: "movie", streamingPolicyName: "Predefined_ClearKey", defaultContentKeyPolicyName: policy },
  });
  return { put, key: (await lib.locators.listContentKeysFor(scope, locator)).contentKeys[0]! };
}

const refusedInaccessible = (err: Error & { code?: string }) => err.code === "CustomerKeyInaccessible";

before(async () => {
  env = await startAppEnvironment();
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    // The input is only served with its SAS: proof the job used the full URL.
    if (url.pathname === "/container/input.mp4" && url.search === `?${SAS}`)
      res.writeHead(200, { "content-length": inputBody.length }).end(inputBody);
    // A download that never ends: what cancel and shutdown must stop.
    else if (url.pathname === "/container/endless.mp4") res.writeHead(200, { "content-length": 1_000_000 }).write("x");
    else res.writeHead(403).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  inputBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/container`;
  jobBody.properties.input.baseUri = `${inputBase}?${SAS}`;

  keyAccess = await customerKeyAccount(env, owner, ref.name);
  accountId = keyAccess.account.id;
});
after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
  await env?.dispose();
});

const grant = (operation: "add" | "remove") => keyAccess.grant(operation);

const jobBody = {
  properties: {
    input: { "@odata.type": "#Microsoft.Media.JobInputHttp", baseUri: "", files: ["input.mp4"] },
    outputs: [{ "@odata.type": "#Microsoft.Media.JobOutputAsset", assetName: "movie" }],
  },
};

const policyBody = {
  properties: {
    description: "HLS clear key for signed-in players",
    options: [
      {
        name: "clearkey",
        configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
        restriction: {
          "@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
          issuer,
          audience,
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
};

describe("secrets under the account key", () => {
  it("keeps a content key policy's symmetric key sealed: GET shows it empty, getPolicyPropertiesWithSecrets returns it to an owner only", async () => {
    const put = await lib.policies.putContentKeyPolicyFor(scope, "signed", policyBody);
    assert.equal(put.created, true);
    const got = (await lib.policies.getContentKeyPolicyFor(scope, "signed")) as unknown as {
      properties: { options: { restriction: { primaryVerificationKey: { keyValue: string } } }[] };
    };
    assert.ok(!JSON.stringify(got).includes(tokenKey.toString("base64")), "GET carries no key value");
    assert.equal(
      got.properties.options[0]!.restriction.primaryVerificationKey.keyValue,
      "",
      "present and empty, as Azure",
    );
    const withSecrets = (await lib.policies.getPolicyPropertiesWithSecretsFor(scope, "signed")) as {
      options: { restriction: { primaryVerificationKey: { keyValue: string } } }[];
    };
    assert.equal(withSecrets.options[0]!.restriction.primaryVerificationKey.keyValue, tokenKey.toString("base64"));
    await assert.rejects(
      lib.policies.getPolicyPropertiesWithSecretsFor({ principal: reader, ref }, "signed"),
      (err: Error & { code?: string }) => err.code === "AuthorizationFailed",
    );
    await assert.rejects(
      lib.policies.putContentKeyPolicyFor(scope, "bad", {
        properties: {
          options: [
            {
              ...policyBody.properties.options[0],
              restriction: {
                ...policyBody.properties.options[0]!.restriction,
                primaryVerificationKey: {
                  "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
                  keyValue: "c2hvcnQ=",
                },
              },
            },
          ],
        },
      }),
      /at least 16 bytes/,
    );
    await assert.rejects(
      lib.policies.putContentKeyPolicyFor(scope, "bad", {
        properties: {
          options: [
            {
              configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyFairPlayConfiguration" },
              restriction: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyOpenRestriction" },
            },
          ],
        },
      }),
      /Only #Microsoft.Media.ContentKeyPolicyClearKeyConfiguration/,
    );
  });

  it("creates streaming locators with generated or supplied content keys; listContentKeys returns them; key ids are unique", async () => {
    await lib.assets.putAssetFor(scope, "movie", { properties: { description: "output" } });
    const generated = await lib.locators.putStreamingLocatorFor(scope, "gen", {
      properties: {
        assetName: "movie",
        streamingPolicyName: "Predefined_ClearKey",
        defaultContentKeyPolicyName: "signed",
      },
    });
    assert.ok(!JSON.stringify(generated.json).includes('"value"'), "the locator itself shows no key value");
    const keys = (await lib.locators.listContentKeysFor(scope, "gen")).contentKeys;
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.type, "EnvelopeEncryption");
    generatedKid = keys[0]!.id;
    generatedKey = Buffer.from(keys[0]!.value!, "base64");
    assert.equal(generatedKey.length, 16);

    await lib.locators.putStreamingLocatorFor(scope, "supplied", {
      properties: {
        assetName: "movie",
        streamingPolicyName: "Predefined_ClearKey",
        defaultContentKeyPolicyName: "signed",
        contentKeys: [{ id: suppliedKid, value: suppliedKey.toString("base64") }],
      },
    });
    assert.deepEqual(
      (await lib.locators.listContentKeysFor(scope, "supplied")).contentKeys.map((k) => [k.id, k.value]),
      [[suppliedKid, suppliedKey.toString("base64")]],
    );

    await assert.rejects(
      lib.locators.putStreamingLocatorFor(scope, "again", {
        properties: {
          assetName: "movie",
          streamingPolicyName: "Predefined_ClearKey",
          defaultContentKeyPolicyName: "signed",
          contentKeys: [{ id: suppliedKid }],
        },
      }),
      (err: Error & { code?: string }) => err.code === "Conflict",
    );
    await assert.rejects(
      lib.locators.putStreamingLocatorFor(scope, "nokeypolicy", {
        properties: { assetName: "movie", streamingPolicyName: "Predefined_ClearKey" },
      }),
      /defaultContentKeyPolicyName/,
    );
    await assert.rejects(
      lib.locators.putStreamingLocatorFor(scope, "noasset", {
        properties: { assetName: "nope", streamingPolicyName: "Predefined_ClearStreamingOnly" },
      }),
      /asset 'nope' was not found/,
    );
    await assert.rejects(
      lib.locators.listContentKeysFor({ principal: reader, ref }, "gen"),
      (err: Error & { code?: string }) => err.code === "AuthorizationFailed",
    );
    const paths = await lib.locators.listPathsFor(scope, "gen");
    // No encoding wrote a manifest into "movie": nothing to stream (lib/media/streaming.test.ts covers encoded assets).
    assert.deepEqual(paths.streamingPaths, []);
  });

  it("delivers the right key to a valid token and refuses bad signature, wrong audience, expiry, another key id; 0 Key Vault calls after warm-up", async () => {
    assert.deepEqual(await deliver(generatedKid, await token({ [KID_CLAIM]: generatedKid })), {
      status: 200,
      bytes: generatedKey,
    });
    await env.emu.admin("POST", "reset");
    for (let i = 0; i < 20; i++)
      assert.equal(
        (await deliver(suppliedKid, await token({ [KID_CLAIM]: suppliedKid }))).bytes.equals(suppliedKey),
        true,
      );
    assert.equal(await env.emu.keyVaultCalls(), 0, "the cached account key serves every request");

    const refusals = {
      "no token": await deliver(generatedKid),
      "bad signature": await deliver(generatedKid, await token({ [KID_CLAIM]: generatedKid }, randomBytes(40))),
      "wrong audience": await deliver(
        generatedKid,
        await token({ [KID_CLAIM]: generatedKid }, tokenKey, "5m", "urn:someone:else"),
      ),
      expired: await deliver(
        generatedKid,
        await token({ [KID_CLAIM]: generatedKid }, tokenKey, Math.floor(Date.now() / 1000) - 600),
      ),
      "another key id": await deliver(generatedKid, await token({ [KID_CLAIM]: suppliedKid })),
      "no key id claim": await deliver(generatedKid, await token({})),
    };
    for (const [why, res] of Object.entries(refusals)) {
      assert.equal(res.status, 401, why);
      assert.ok(!res.bytes.includes(generatedKey), `${why}: no key in the answer`);
    }
    assert.equal(
      (await deliver(randomUUID(), await token({}))).status,
      401,
      "an unknown key: the token is not accepted",
    );
  });

  it("a replaced token key takes effect at the next request: the old key's tokens are refused, the new key's accepted", async () => {
    const jwt = await token({ [KID_CLAIM]: generatedKid });
    assert.equal((await deliver(generatedKid, jwt)).status, 200, "warm: its verifier is made and kept");
    const withKey = (key: Buffer) => {
      const body = structuredClone(policyBody);
      body.properties.options[0]!.restriction.primaryVerificationKey.keyValue = key.toString("base64");
      return body;
    };
    const newKey = randomBytes(40);
    await lib.policies.putContentKeyPolicyFor(scope, "signed", withKey(newKey));
    assert.equal((await deliver(generatedKid, jwt)).status, 401, "the old key's token no longer verifies");
    const fresh = await token({ [KID_CLAIM]: generatedKid }, newKey);
    assert.equal((await deliver(generatedKid, fresh)).status, 200, "the new key's token does");
    await lib.policies.putContentKeyPolicyFor(scope, "signed", policyBody);
    assert.equal((await deliver(generatedKid, fresh)).status, 401, "and back");
    assert.equal((await deliver(generatedKid, jwt)).status, 200);
  });

  it("delivers the key of an open-restriction policy without a token (as Azure does); a token-restricted key still needs one", async () => {
    await lib.policies.putContentKeyPolicyFor(scope, "open", {
      properties: {
        options: [
          {
            configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
            restriction: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyOpenRestriction" },
          },
        ],
      },
    });
    await lib.locators.putStreamingLocatorFor(scope, "openlocator", {
      properties: {
        assetName: "movie",
        streamingPolicyName: "Predefined_ClearKey",
        defaultContentKeyPolicyName: "open",
      },
    });
    const [openKey] = (await lib.locators.listContentKeysFor(scope, "openlocator")).contentKeys;
    const delivered = await deliver(openKey!.id);
    assert.equal(delivered.status, 200, "no token needed for an open policy");
    assert.ok(delivered.bytes.equals(Buffer.from(openKey!.value!, "base64")));
    const tokenless = await deliver(generatedKid, undefined, ["www-authenticate"]);
    assert.deepEqual(
      [tokenless.status, tokenless.headers],
      [401, ["Bearer"]],
      "the signed policy's key still needs a token",
    );
    assert.deepEqual(
      (await deliver(randomUUID(), undefined, ["www-authenticate"])).headers,
      ["Bearer"],
      "an unknown key reads the same",
    );
  });

  it("verifies RS256 tokens with an RSA or an X.509 verification key", async () => {
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    const rsaAlgorithm = {
      name: "RSASSA-PKCS1-v1_5",
      hash: "SHA-256",
      publicExponent: new Uint8Array([1, 0, 1]),
      modulusLength: 2048,
    } as const;
    const [rsa, certified] = await Promise.all(
      [0, 1].map(() => webcrypto.subtle.generateKey(rsaAlgorithm, true, ["sign", "verify"])),
    );
    const jwk = await webcrypto.subtle.exportKey("jwk", rsa!.publicKey);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: "01",
      name: "CN=token signer",
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      keys: certified!,
      signingAlgorithm: rsaAlgorithm,
    });
    const restriction = {
      ...policyBody.properties.options[0]!.restriction,
      primaryVerificationKey: {
        "@odata.type": "#Microsoft.Media.ContentKeyPolicyRsaTokenKey",
        modulus: Buffer.from(jwk.n!, "base64url").toString("base64"),
        exponent: Buffer.from(jwk.e!, "base64url").toString("base64"),
      },
      alternateVerificationKeys: [
        {
          "@odata.type": "#Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey",
          rawBody: Buffer.from(cert.rawData).toString("base64"),
        },
      ],
    };
    const { key } = await lockedStream("rsa", restriction, "rsastream");
    const signed = async (pair: CryptoKeyPair, kid: string) => {
      const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", pair.privateKey)).toString("base64");
      const privateKey = await importPKCS8(`-----BEGIN PRIVATE KEY-----\n${pkcs8}\n-----END PRIVATE KEY-----`, "RS256");
      return new SignJWT({ [KID_CLAIM]: kid })
        .setProtectedHeader({ alg: "RS256" })
        .setIssuer(issuer)
        .setAudience(audience)
        .setExpirationTime("5m")
        .sign(privateKey);
    };
    rsaDelivery = { kid: key.id, key: Buffer.from(key.value!, "base64"), token: await signed(rsa!, key.id) };
    for (const pair of [rsa!, certified!])
      assert.deepEqual(await deliver(key.id, await signed(pair, key.id)), {
        status: 200,
        bytes: rsaDelivery.key,
      });
    assert.equal(
      (await deliver(key.id, await token({ [KID_CLAIM]: key.id }))).status,
      401,
      "an HS256 token does not pass an RSA policy",
    );
  });

  it("verifies Simple Web Tokens (Swt) with a symmetric key: signature, issuer, audience, expiry and the key id claim; refuses Swt with an RSA key", async () => {
    const swtKey = randomBytes(32);
    const restriction = {
      ...policyBody.properties.options[0]!.restriction,
      primaryVerificationKey: {
        ...policyBody.properties.options[0]!.restriction.primaryVerificationKey,
        keyValue: swtKey.toString("base64"),
      },
      restrictionTokenType: "Swt",
    };
    const { put, key } = await lockedStream("swt", restriction, "swtstream");
    assert.equal(
      (put.json as unknown as { properties: { options: { restriction: { restrictionTokenType: string } }[] } })
        .properties.options[0]!.restriction.restrictionTokenType,
      "Swt",
      "stored and returned",
    );
    const swt = (claims: Record<string, string>, signWith = swtKey) => {
      const signed = new URLSearchParams(claims).toString();
      const mac = createHmac("sha256", signWith).update(signed).digest("base64");
      return `${signed}&HMACSHA256=${encodeURIComponent(mac)}`;
    };
    const expiresOn = String(Math.floor(Date.now() / 1000) + 300);
    const good = { Issuer: issuer, Audience: audience, ExpiresOn: expiresOn, [KID_CLAIM]: key.id };
    assert.deepEqual(await deliver(key.id, swt(good)), { status: 200, bytes: Buffer.from(key.value!, "base64") });
    const refusals = {
      "another key": swt(good, randomBytes(32)),
      "wrong issuer": swt({ ...good, Issuer: "https://someone.else" }),
      "wrong audience": swt({ ...good, Audience: "urn:someone:else" }),
      expired: swt({ ...good, ExpiresOn: String(Math.floor(Date.now() / 1000) - 600) }),
      "another key id": swt({ ...good, [KID_CLAIM]: generatedKid }),
      "claims changed after signing": swt(good).replace(
        `Audience=${encodeURIComponent(audience)}`,
        "Audience=urn%3Aother",
      ),
      "a JWT for a Swt policy": await token({ [KID_CLAIM]: key.id }, swtKey),
    };
    for (const [why, jwtOrSwt] of Object.entries(refusals))
      assert.equal((await deliver(key.id, jwtOrSwt)).status, 401, why);
    assert.equal(
      (await deliver(generatedKid, swt({ ...good, [KID_CLAIM]: generatedKid }, tokenKey))).status,
      401,
      "an SWT does not pass a Jwt policy, even signed with its key",
    );
    await assert.rejects(
      lib.policies.putContentKeyPolicyFor(scope, "swtrsa", {
        properties: {
          options: [
            {
              ...policyBody.properties.options[0],
              restriction: {
                ...restriction,
                primaryVerificationKey: {
                  "@odata.type": "#Microsoft.Media.ContentKeyPolicyRsaTokenKey",
                  modulus: Buffer.concat([Buffer.from([0xc1]), randomBytes(255)]).toString("base64"), // 2048 bits
                  exponent: "AQAB",
                },
              },
            },
          ],
        },
      }),
      (err: Error & { code?: string; field?: string }) =>
        err.code === "InvalidRequestContent" && /primaryVerificationKey$/.test(err.field ?? ""),
    );
    // Leave the secrets the later tests count as they were.
    await lib.locators.deleteStreamingLocatorFor(scope, "swtstream");
    await lib.policies.deleteContentKeyPolicyFor(scope, "swt");
  });

  it("answers 503 with Retry-After to a verified token when Key Vault does not answer and the account key is not cached, 401 to a token it cannot verify; the cache serves while it lives", async () => {
    const valid = await token({ [KID_CLAIM]: generatedKid });
    await env.emu.admin("POST", "faults", {
      vault: demoVaults.compliant.name,
      operation: "unwrapKey",
      kind: "status",
      status: 503,
    });
    try {
      assert.equal((await deliver(generatedKid, valid)).status, 200, "cached: Key Vault is not asked");
      lib.hierarchy.dropAccountKey(accountId);
      const unavailable = await deliver(rsaDelivery.kid, rsaDelivery.token, ["retry-after"]);
      assert.equal(unavailable.status, 503, "an RSA token verifies without the account key");
      assert.match(unavailable.headers![0] ?? "", /^\d+$/);
      assert.ok(!unavailable.bytes.includes(rsaDelivery.key));
      const unverifiable = await deliver(generatedKid, valid, ["retry-after", "www-authenticate"]);
      assert.deepEqual(
        [unverifiable.status, unverifiable.headers],
        [401, [null, 'Bearer error="invalid_token"']],
        "a symmetric token cannot be verified without the account key: not accepted, and nothing told",
      );
    } finally {
      await env.emu.admin("DELETE", "faults");
    }
    assert.deepEqual(await deliver(generatedKid, valid), { status: 200, bytes: generatedKey });
    assert.deepEqual(await deliver(rsaDelivery.kid, rsaDelivery.token), { status: 200, bytes: rsaDelivery.key });
  });

  it("runs a JobInputHttp job: the worker fetches the full URL, stores the bytes with size and SHA-256; no response shows the query string", async () => {
    await lib.transforms.putTransformFor(scope, "copy", {
      properties: {
        outputs: [
          {
            preset: {
              "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset",
              presetName: "CopyAllBitrateNonInterleaved",
            },
          },
        ],
      },
    });
    const created = await lib.jobs.putJobFor({ ...scope, parent: "copy" }, "job1", {
      properties: {
        input: { "@odata.type": "#Microsoft.Media.JobInputHttp", baseUri: `${inputBase}?${SAS}`, files: ["input.mp4"] },
        outputs: [{ "@odata.type": "#Microsoft.Media.JobOutputAsset", assetName: "movie" }],
      },
    });
    assert.equal((created.json.properties as { state: string }).state, "Scheduled");
    const runner = lib.runner.startJobRunner({ loop: false });
    const outcome = await runner.runOnce();
    await runner.stop();
    assert.equal(outcome?.state, "Finished", JSON.stringify(outcome));
    const job = await lib.jobs.getJobFor({ ...scope, parent: "copy" }, "job1");
    assert.equal(job.properties.state, "Finished");
    assert.deepEqual(job.properties.input, {
      "@odata.type": "#Microsoft.Media.JobInputHttp",
      baseUri: inputBase,
      files: ["input.mp4"],
    });
    assert.ok(!JSON.stringify(job).includes("sig="), "no query string in the job");
    const asset = (await lib.assets.getAssetFor(scope, "movie")).properties as {
      files: { name: string; size: number; sha256: string }[];
    };
    assert.deepEqual(asset.files, [
      { name: "input.mp4", size: inputBody.length, sha256: createHash("sha256").update(inputBody).digest("hex") },
    ]);
  });

  it("ends a job whose input cannot be fetched in Error, with the reason and no query string", async () => {
    await lib.jobs.putJobFor({ ...scope, parent: "copy" }, "job403", {
      properties: {
        input: {
          "@odata.type": "#Microsoft.Media.JobInputHttp",
          baseUri: `${inputBase}?sig=WRONG`,
          files: ["input.mp4"],
        },
        outputs: [{ "@odata.type": "#Microsoft.Media.JobOutputAsset", assetName: "movie" }],
      },
    });
    const runner = lib.runner.startJobRunner({ loop: false });
    const outcome = await runner.runOnce();
    await runner.stop();
    assert.equal(outcome?.state, "Error");
    const job = await lib.jobs.getJobFor({ ...scope, parent: "copy" }, "job403");
    const output = (job.properties.outputs as { error: { code: string; message: string } }[])[0]!;
    assert.equal(output.error.code, "DownloadNotAccessible");
    assert.match(output.error.message, /HTTP 403/);
    assert.ok(!JSON.stringify(job).includes("WRONG"));
  });

  it("cancels a job that has not started: the runner never takes it", async () => {
    const jobScope = { ...scope, parent: "copy" };
    await lib.jobs.putJobFor(jobScope, "unwanted", jobBody);
    await lib.jobs.cancelJobFor(jobScope, "unwanted");
    assert.equal((await lib.jobs.getJobFor(jobScope, "unwanted")).properties.state, "Canceled");
    const runner = lib.runner.startJobRunner({ loop: false });
    assert.equal(await runner.runOnce(), null);
    await runner.stop();
    assert.equal(await lib.jobs.deleteJobFor(jobScope, "unwanted"), true);
    assert.equal(await lib.jobs.deleteJobFor(jobScope, "unwanted"), false, "already gone: 204, not an error");
    await assert.rejects(
      lib.jobs.deleteJobFor({ ...scope, parent: "nosuchtransform" }, "unwanted"),
      /transform 'nosuchtransform' was not found/,
    );
  });

  it("cancels a job claimed by a worker and not yet started: the worker never runs it, and it ends Canceled", async () => {
    const jobScope = { ...scope, parent: "copy" };
    await lib.jobs.putJobFor(jobScope, "claimedthencanceled", jobBody);
    const owner = "test-worker";
    const claimed = await lib.jobStore.claim({ owner, leaseMs: 60_000 });
    assert.ok(claimed, "claimed");
    // Between the claim and the start, while the worker unwraps the input's key.
    await lib.jobs.cancelJobFor(jobScope, "claimedthencanceled");
    assert.equal((await lib.jobs.getJobFor(jobScope, "claimedthencanceled")).properties.state, "Canceling");
    const outcome = await lib.runner.runJob(claimed, owner, 60_000);
    assert.equal(outcome.state, "Canceled", JSON.stringify(outcome));
    const job = await lib.jobs.getJobFor(jobScope, "claimedthencanceled");
    assert.equal(job.properties.state, "Canceled");
    assert.equal(job.properties.startTime, undefined, "never started");
  });

  it("stops a running job within seconds on cancelJob, and hands it back, scheduled, when the worker stops", async () => {
    const jobScope = { ...scope, parent: "copy" };
    const endless = {
      properties: { ...jobBody.properties, input: { ...jobBody.properties.input, files: ["endless.mp4"] } },
    };
    const stateOf = async (name: string) => (await lib.jobs.getJobFor(jobScope, name)).properties.state;
    const until = async (name: string, state: string) => {
      for (let i = 0; i < 100 && (await stateOf(name)) !== state; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(await stateOf(name), state, name);
    };
    await lib.jobs.putJobFor(jobScope, "endless1", endless);
    let runner = lib.runner.startJobRunner({ loop: true });
    await until("endless1", "Processing");
    await lib.jobs.cancelJobFor(jobScope, "endless1");
    await until("endless1", "Canceled");
    await runner.stop();

    await lib.jobs.putJobFor(jobScope, "endless2", endless);
    runner = lib.runner.startJobRunner({ loop: true });
    await until("endless2", "Processing");
    await runner.stop();
    assert.equal(await stateOf("endless2"), "Scheduled", "handed back for the next worker");
    await lib.jobs.cancelJobFor(jobScope, "endless2");
  });

  it("refuses every secret operation while the customer key is inaccessible, keeps the account readable, and recovers with the same keys", async () => {
    const jobScope = { ...scope, parent: "copy" };
    await lib.jobs.putJobFor(jobScope, "waiting", jobBody);
    await grant("remove");
    assert.equal(await check(), "inaccessible");
    const runner = lib.runner.startJobRunner({ loop: false });
    assert.equal(await runner.runOnce(), null, "a scheduled job waits while the key is inaccessible");
    // Players are not told why (lib/security/key-delivery.test.ts): a symmetric token cannot even be
    // verified (401), an RSA one is verified and refused (403).
    assert.equal((await deliver(generatedKid, await token({ [KID_CLAIM]: generatedKid }))).status, 401);
    const delivered = await deliver(rsaDelivery.kid, rsaDelivery.token);
    assert.equal(delivered.status, 403);
    assert.match(delivered.bytes.toString(), /ContentKeyUnavailable/);
    await assert.rejects(lib.locators.listContentKeysFor(scope, "gen"), refusedInaccessible);
    await assert.rejects(lib.policies.getPolicyPropertiesWithSecretsFor(scope, "signed"), refusedInaccessible);
    await assert.rejects(lib.jobs.putJobFor(jobScope, "blocked", jobBody), refusedInaccessible);
    await assert.rejects(lib.assets.getAssetFor(scope, "movie"), refusedInaccessible);
    assert.equal((await lib.service.getAccountFor(owner, ref)).keyStatus, "Inaccessible");
    assert.ok((await lib.service.listAccountsFor(owner)).some((a) => a.id === accountId));

    await grant("add");
    assert.equal(await check(), "recovered");
    assert.deepEqual(await deliver(generatedKid, await token({ [KID_CLAIM]: generatedKid })), {
      status: 200,
      bytes: generatedKey,
    });
    assert.deepEqual(
      (await lib.locators.listContentKeysFor(scope, "supplied")).contentKeys[0]!.value,
      suppliedKey.toString("base64"),
    );
    assert.equal(
      (
        (await lib.policies.getPolicyPropertiesWithSecretsFor(scope, "signed")) as {
          options: { restriction: { primaryVerificationKey: { keyValue: string } } }[];
        }
      ).options[0]!.restriction.primaryVerificationKey.keyValue,
      tokenKey.toString("base64"),
    );
    assert.equal((await lib.jobs.putJobFor(jobScope, "after", jobBody)).created, true);
    assert.equal((await runner.runOnce())?.state, "Finished", "the waiting job runs once the key is back");
    assert.equal((await lib.jobs.getJobFor(jobScope, "waiting")).properties.state, "Finished");
    await runner.stop();
  });

  it("leaves no plaintext content key, token key or JobInputHttp query string in the database", async () => {
    const needles = [generatedKey, suppliedKey, tokenKey].flatMap(encodingsOf).concat([SAS, SAS.split("sig=")[1]!]);
    const found = await findInDatabase((sql) => env.database.db.$queryRawUnsafe(sql), needles);
    assert.deepEqual(found.hits, []);
    const sealed = await env.database.db.accountSecret.groupBy({ by: ["kind"], _count: { _all: true } });
    assert.deepEqual(
      Object.fromEntries(sealed.map((g) => [g.kind, g._count._all])),
      { contentKey: 4, tokenKey: 1, jobInputUrl: 7 },
      "the secrets are there, sealed",
    );
  });
});
