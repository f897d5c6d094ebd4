/**
 * Attacks on a content key policy's token verification keys: an RSA or X.509 key that anyone can
 * forge tokens for (a tiny or even exponent, a short modulus, a short modulus padded to look long)
 * must be refused when the policy is saved, with 400 and the reason, and verify nothing at key
 * delivery if one was saved before.
 */
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, webcrypto } from "node:crypto";
import { after, before, describe, it } from "node:test";
import "reflect-metadata"; // @peculiar/x509 needs it loaded first
import * as x509 from "@peculiar/x509";
import { importJWK, jwtVerify } from "jose";
import { createAccountFor } from "@/lib/accounts/service";
import { demoUsers } from "@/lib/demo/directory";
import * as assets from "@/lib/media/assets";
import { policies } from "@/test/support/media-api";
import * as delivery from "@/lib/media/key-delivery";
import { locators } from "@/test/support/media-api";
import { clearKeyTokenPolicy } from "@/test/support/content-key-policy";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

const owner = principalOf(demoUsers.owner);
const ref = contosoAccount("tokenkeyattacks");
const scope = { principal: owner, ref };

let env: AppEnvironment;
let mediaServiceId: string;

before(async () => {
  env = await startAppEnvironment();
  mediaServiceId = (await createAccountFor(owner, { ...ref, location: "westus2", identityType: "SystemAssigned" })).id;
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
});
after(async () => env?.dispose());

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A fresh RSA public key's modulus and exponent, base64 as the API takes them. */
function rsaKey(bits: number) {
  const jwk = generateKeyPairSync("rsa", { modulusLength: bits }).publicKey.export({ format: "jwk" });
  return { modulus: Buffer.from(jwk.n!, "base64url"), exponent: Buffer.from(jwk.e!, "base64url") };
}

const rsaTokenKey = (modulus: Buffer, exponent: Buffer) => ({
  "@odata.type": "#Microsoft.Media.ContentKeyPolicyRsaTokenKey",
  modulus: b64(modulus),
  exponent: b64(exponent),
});
const x509TokenKey = (der: ArrayBuffer | Buffer) => ({
  "@odata.type": "#Microsoft.Media.ContentKeyPolicyX509CertificateTokenKey",
  rawBody: b64(new Uint8Array(der)),
});

/** A self-signed certificate for a key made with WebCrypto's `algorithm`. */
async function certificate(
  algorithm: RsaHashedKeyGenParams | EcKeyGenParams,
  signingAlgorithm: Algorithm | EcdsaParams = algorithm,
) {
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=token signer",
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm,
  });
  return cert.rawData;
}
const rsaCertificate = (modulusLength: number, publicExponent = [1, 0, 1]) =>
  certificate({
    name: "RSASSA-PKCS1-v1_5",
    hash: "SHA-256",
    modulusLength,
    publicExponent: new Uint8Array(publicExponent),
  });

/**
 * A JWT "signed" for an RSA key with e = 1, with no private key at all: with e = 1 the signature
 * is its own verification, so it is the PKCS#1 v1.5 encoding of the SHA-256 hash.
 */
function forgedForExponentOne(modulusBytes: number, claims: object) {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${encode({ alg: "RS256" })}.${encode(claims)}`;
  const digestInfo = Buffer.concat([
    Buffer.from("3031300d060960864801650304020105000420", "hex"),
    createHash("sha256").update(signingInput).digest(),
  ]);
  const encoded = Buffer.concat([
    Buffer.from([0, 1]),
    Buffer.alloc(modulusBytes - 3 - digestInfo.length, 0xff),
    Buffer.from([0]),
    digestInfo,
  ]);
  return `${signingInput}.${encoded.toString("base64url")}`;
}

/** Saves a token-restricted policy whose primary verification key is `key`. */
const save = (name: string, key: object) =>
  policies.putContentKeyPolicyFor(
    scope,
    name,
    clearKeyTokenPolicy({
      issuer: "https://issuer.contoso.localhost",
      audience: "urn:contoso:player",
      primaryVerificationKey: key,
    }),
  );

async function assertRefused(key: object, reason: RegExp) {
  await assert.rejects(save("weak", key), (err: Error & { code?: string; status?: number }) => {
    assert.equal(err.code, "InvalidRequestContent", err.message);
    assert.equal(err.status, 400);
    assert.match(err.message, reason);
    return true;
  });
}

describe("attacks on token verification keys", () => {
  const strong = rsaKey(2048);

  it("an RSA key with the exponent 1 (AQ==), whose signatures anyone can forge, is refused", async () => {
    const key = rsaTokenKey(strong.modulus, Buffer.from([1]));
    assert.equal(key.exponent, "AQ==");
    await assertRefused(key, /exponent 1.*65537/);
  });

  it("an RSA key with the small exponent 3 is refused", async () => {
    await assertRefused(rsaTokenKey(strong.modulus, Buffer.from([3])), /exponent 3.*65537/);
  });

  it("an RSA key with an even exponent is refused", async () => {
    await assertRefused(rsaTokenKey(strong.modulus, Buffer.from([1, 0, 0])), /exponent 65536.*65537/);
  });

  it("an RSA key with a 1024-bit modulus is refused", async () => {
    const weak = rsaKey(1024);
    await assertRefused(rsaTokenKey(weak.modulus, weak.exponent), /1024 bits.*2048/);
  });

  it("a 1024-bit modulus padded with zero bytes to look like 2048 bits is refused", async () => {
    const weak = rsaKey(1024);
    const padded = Buffer.concat([Buffer.alloc(256 - weak.modulus.length), weak.modulus]);
    assert.equal(padded.length, 256);
    await assertRefused(rsaTokenKey(padded, weak.exponent), /1024 bits.*2048/);
  });

  it("an X.509 certificate of a 1024-bit RSA key is refused", async () => {
    await assertRefused(x509TokenKey(await rsaCertificate(1024)), /1024 bits.*2048/);
  });

  it("an X.509 certificate of an RSA key with the exponent 3 is refused", async () => {
    await assertRefused(x509TokenKey(await rsaCertificate(2048, [3])), /exponent 3.*65537/);
  });

  it("an X.509 certificate of a key that is not RSA, or bytes that are not a certificate, are refused", async () => {
    await assertRefused(
      x509TokenKey(
        await certificate({ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" } as EcdsaParams),
      ),
      /RSA/,
    );
    await assertRefused(x509TokenKey(Buffer.from("not a certificate")), /certificate/);
  });

  it("a token forged with no private key for an e = 1 key that was saved before this check gets no content key", async () => {
    // A policy as it was stored before weak keys were refused: saved with a sound key, its exponent then set to 1.
    await save("legacy", rsaTokenKey(strong.modulus, strong.exponent));
    const row = await env.database.db.contentKeyPolicy.findFirstOrThrow({ where: { name: "legacy" } });
    const options = row.options as { restriction: { keys: { exponent: string }[] } }[];
    options[0]!.restriction.keys[0]!.exponent = "AQ==";
    await env.database.db.contentKeyPolicy.update({ where: { id: row.id }, data: { options } });
    await assets.putAssetFor(scope, "movie", {});
    await locators.putStreamingLocatorFor(scope, "legacy", {
      properties: {
        assetName: "movie",
        streamingPolicyName: "Predefined_ClearKey",
        defaultContentKeyPolicyName: "legacy",
      },
    });
    const [contentKey] = (await locators.listContentKeysFor(scope, "legacy")).contentKeys;

    const forged = forgedForExponentOne(strong.modulus.length, {
      iss: "https://issuer.contoso.localhost",
      aud: "urn:contoso:player",
      exp: Math.floor(Date.now() / 1000) + 300,
    });
    const exponentOne = await importJWK({ kty: "RSA", n: strong.modulus.toString("base64url"), e: "AQ" }, "RS256");
    await jwtVerify(forged, exponentOne); // the forgery is real: it verifies with the weak key
    const res = await delivery.deliverContentKey(
      new Request(`http://localhost/keydelivery/${mediaServiceId}?kid=${contentKey!.id}`, {
        headers: { authorization: `Bearer ${forged}` },
      }),
      mediaServiceId,
    );
    const body = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 401, body.toString());
    assert.ok(!body.equals(Buffer.from(contentKey!.value!, "base64")));
  });

  it("a 2048-bit RSA key and an X.509 certificate of one, both with the exponent 65537, are still accepted", async () => {
    assert.equal((await save("rsa", rsaTokenKey(strong.modulus, strong.exponent))).created, true);
    assert.equal((await save("x509", x509TokenKey(await rsaCertificate(2048)))).created, true);
  });
});
