/**
 * Conformance of the Key Vault keys data plane: the official @azure/keyvault-keys clients,
 * unchanged, over HTTPS, for every operation and refusal the product relies on.
 */
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, publicEncrypt, constants, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import type { KeyClient } from "@azure/keyvault-keys";
import { SignJWT, importJWK, type JWK } from "jose";
import { demoAutomationApp, demoTenants, demoVaults } from "@/lib/demo/directory";
import { httpsJson, startTestEmulator, type TestEmulator } from "./test-support";

const allKeys = [
  "get",
  "list",
  "create",
  "import",
  "update",
  "delete",
  "recover",
  "purge",
  "rotate",
  "wrapKey",
  "unwrapKey",
  "encrypt",
  "decrypt",
];

function restError(status: number, code?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof RestError, `expected a RestError, got ${String(err)}`);
    assert.equal(err.statusCode, status, err.message);
    if (code) assert.match(`${err.code} ${err.message}`, code);
    return true;
  };
}

let emu: TestEmulator;
let protectedVault: KeyClient;
let purgeableVault: KeyClient;

before(async () => {
  emu = await startTestEmulator();
  const arm = emu.arm();
  for (const vault of [demoVaults.compliant.name, demoVaults.noPurgeProtection.name]) {
    await arm.vaults.updateAccessPolicy(demoVaults.resourceGroup, vault, "add", {
      properties: {
        accessPolicies: [
          { tenantId: demoTenants.contoso.id, objectId: demoAutomationApp.objectId, permissions: { keys: allKeys } },
        ],
      },
    });
  }
  protectedVault = emu.keyClient(demoVaults.compliant.name);
  purgeableVault = emu.keyClient(demoVaults.noPurgeProtection.name);
});
after(async () => emu?.dispose());

describe("keys: create, read, list", () => {
  for (const [kty, size] of [
    ["RSA", 2048],
    ["RSA", 3072],
    ["RSA", 4096],
    ["RSA-HSM", 2048],
    ["RSA-HSM", 3072],
    ["RSA-HSM", 4096],
  ] as const) {
    it(`creates ${kty} ${size} and reports its size, type and recovery level`, async () => {
      const name = `c-${kty.toLowerCase()}-${size}`;
      const key = await protectedVault.createKey(name, kty, { keySize: size });
      assert.equal(key.keyType, kty);
      assert.equal(Buffer.from(key.key!.n!).length * 8, size);
      assert.equal(key.properties.recoveryLevel, "Recoverable");
      assert.equal(key.properties.recoverableDays, 90);
      assert.match(
        key.id!,
        new RegExp(`^https://${demoVaults.compliant.name}\\.vault\\.localhost:\\d+/keys/${name}/[0-9a-f]{32}$`),
      );
    });
  }

  for (const curve of ["P-256", "P-384", "P-521", "P-256K"] as const) {
    it(`creates an EC key on ${curve}`, async () => {
      const key = await protectedVault.createEcKey(`c-ec-${curve.toLowerCase()}`, { curve });
      assert.equal(key.keyType, "EC");
      assert.equal(key.key!.crv, curve);
      assert.deepEqual(key.keyOperations, ["sign", "verify"]);
    });
  }

  it("refuses an RSA size Key Vault does not offer and an unknown key type", async () => {
    await assert.rejects(protectedVault.createRsaKey("bad-size", { keySize: 1024 }), restError(400, /BadParameter/));
    await assert.rejects(protectedVault.createKey("bad-type", "oct"), restError(400, /BadParameter/));
  });

  it("imports a JSON web key, gets latest and a given version, lists keys and versions", async () => {
    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jwk = privateKey.export({ format: "jwk" });
    const b = (s?: string) => (s ? Buffer.from(s, "base64url") : undefined);
    const imported = await protectedVault.importKey("imported", {
      kty: "RSA",
      n: b(jwk.n),
      e: b(jwk.e),
      d: b(jwk.d),
      p: b(jwk.p),
      q: b(jwk.q),
      dp: b(jwk.dp),
      dq: b(jwk.dq),
      qi: b(jwk.qi),
    });
    assert.equal(Buffer.from(imported.key!.n!).toString("base64url"), jwk.n);
    assert.equal(imported.key!.d, undefined, "private members never leave the vault");

    const second = await protectedVault.rotateKey("imported");
    assert.notEqual(second.properties.version, imported.properties.version);
    assert.equal(
      (await protectedVault.getKey("imported")).properties.version,
      second.properties.version,
      "latest is the newest version",
    );
    assert.equal(
      (await protectedVault.getKey("imported", { version: imported.properties.version })).properties.version,
      imported.properties.version,
    );

    const versions = [];
    for await (const v of protectedVault.listPropertiesOfKeyVersions("imported")) versions.push(v.version);
    assert.deepEqual(versions.sort(), [imported.properties.version, second.properties.version].sort());
    const names = [];
    for await (const k of protectedVault.listPropertiesOfKeys()) names.push(k.name);
    for (const expected of ["imported", "rsa-2048", "rsa-3072", "rsa-4096", "rsa-hsm-3072", "ec-p256"])
      assert.ok(names.includes(expected), expected);
  });

  it("answers 404 KeyNotFound for a missing key or version", async () => {
    await assert.rejects(protectedVault.getKey("no-such-key"), restError(404, /KeyNotFound/));
    await assert.rejects(protectedVault.getKey("rsa-2048", { version: "0".repeat(32) }), restError(404, /KeyNotFound/));
  });
});

describe("keys: cryptography", () => {
  for (const alg of ["RSA-OAEP", "RSA-OAEP-256", "RSA1_5"] as const) {
    it(`wraps/unwraps and encrypts/decrypts with ${alg}`, async () => {
      const key = await protectedVault.getKey("rsa-2048");
      const crypto = emu.cryptoClient(key.id!, emu.automation);
      const secret = randomBytes(32);
      const wrapped = await crypto.wrapKey(alg, secret);
      assert.equal(wrapped.keyID, key.id);
      assert.deepEqual(Buffer.from((await crypto.unwrapKey(alg, wrapped.result)).result), secret);
      const encrypted = await crypto.encrypt({ algorithm: alg, plaintext: secret });
      assert.deepEqual(
        Buffer.from((await crypto.decrypt({ algorithm: alg, ciphertext: encrypted.result })).result),
        secret,
      );
    });
  }

  it("unwraps what a local RSA-OAEP-256 encryption with the public key produced (real RSA, not an echo)", async () => {
    const key = await protectedVault.getKey("rsa-3072");
    const publicKey = createPublicKey({
      key: {
        kty: "RSA",
        n: Buffer.from(key.key!.n!).toString("base64url"),
        e: Buffer.from(key.key!.e!).toString("base64url"),
      },
      format: "jwk",
    });
    const secret = randomBytes(32);
    const ciphertext = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      secret,
    );
    const crypto = emu.cryptoClient(key.id!, emu.automation);
    assert.deepEqual(Buffer.from((await crypto.unwrapKey("RSA-OAEP-256", ciphertext)).result), secret);
    await assert.rejects(
      crypto.unwrapKey("RSA-OAEP", ciphertext),
      restError(400, /BadParameter/),
      "another algorithm does not decrypt it",
    );
  });

  it("refuses RSA algorithms on an EC key", async () => {
    const ec = await protectedVault.getKey("ec-p256");
    await assert.rejects(
      emu.cryptoClient(ec.id!, emu.automation).wrapKey("RSA-OAEP-256", randomBytes(32)),
      (err: unknown) => {
        // The SDK refuses locally when it has the key; the service answers 400 otherwise.
        assert.match(String((err as Error).message), /not supported|BadParameter|RSA-OAEP-256/i);
        return true;
      },
    );
    const raw = await emu.rawVaultCall(
      demoVaults.compliant.name,
      "POST",
      `/keys/ec-p256/${ec.properties.version}/wrapkey`,
      { alg: "RSA-OAEP-256", value: randomBytes(32).toString("base64url") },
    );
    assert.equal(raw.status, 400);
    assert.match(JSON.stringify(raw.json), /BadParameter.*not supported for EC keys/);
  });

  it("refuses a disabled, expired or not-yet-valid key, and an operation outside key_ops", async () => {
    const key = await protectedVault.createRsaKey("lifecycle", { keySize: 2048 });
    const crypto = emu.cryptoClient(key.id!, emu.automation);
    await protectedVault.updateKeyProperties("lifecycle", key.properties.version!, { enabled: false });
    const disabled = await protectedVault.getKey("lifecycle");
    assert.equal(disabled.properties.enabled, false, "a disabled key can still be read");
    await assert.rejects(crypto.wrapKey("RSA-OAEP-256", randomBytes(32)), restError(403, /disabled key/));

    await protectedVault.updateKeyProperties("lifecycle", key.properties.version!, {
      enabled: true,
      expiresOn: new Date(Date.now() - 60_000),
    });
    await assert.rejects(crypto.wrapKey("RSA-OAEP-256", randomBytes(32)), restError(403, /expired key/));
    await protectedVault.updateKeyProperties("lifecycle", key.properties.version!, {
      expiresOn: new Date(Date.now() + 86_400_000),
      notBefore: new Date(Date.now() + 3_600_000),
    });
    await assert.rejects(crypto.wrapKey("RSA-OAEP-256", randomBytes(32)), restError(403, /not yet valid/));

    await protectedVault.updateKeyProperties("lifecycle", key.properties.version!, {
      notBefore: new Date(Date.now() - 60_000),
      keyOps: ["encrypt", "decrypt"],
    });
    const updated = await protectedVault.getKey("lifecycle");
    assert.deepEqual(updated.keyOperations, ["encrypt", "decrypt"]);
    await assert.rejects(crypto.wrapKey("RSA-OAEP-256", randomBytes(32)), restError(403, /not permitted/));
    await protectedVault.updateKeyProperties("lifecycle", key.properties.version!, {
      keyOps: ["wrapKey", "unwrapKey"],
    });
    assert.ok(
      (await crypto.wrapKey("RSA-OAEP-256", randomBytes(32))).result.length > 0,
      "usable again once everything allows it",
    );
  });
});

describe("keys: soft delete, recover, purge", () => {
  it("soft-deletes, 404s, lists as deleted, recovers with the same material", async () => {
    const key = await protectedVault.createRsaKey("to-recover", { keySize: 2048 });
    const poller = await protectedVault.beginDeleteKey("to-recover", { intervalInMs: 10 });
    const deleted = await poller.pollUntilDone();
    assert.equal(deleted.properties.recoveryId?.endsWith("/deletedkeys/to-recover"), true);
    assert.ok(deleted.properties.scheduledPurgeDate! > new Date(Date.now() + 89 * 86_400_000));
    await assert.rejects(protectedVault.getKey("to-recover"), restError(404, /KeyNotFound/));
    await assert.rejects(
      emu.cryptoClient(key.id!, emu.automation).unwrapKey("RSA-OAEP-256", randomBytes(256)),
      restError(404, /KeyNotFound/),
    );
    await assert.rejects(protectedVault.createRsaKey("to-recover"), restError(409, /deleted but recoverable/));

    const listed = [];
    for await (const d of protectedVault.listDeletedKeys()) listed.push(d.name);
    assert.ok(listed.includes("to-recover"));
    assert.equal((await protectedVault.getDeletedKey("to-recover")).name, "to-recover");

    const recovered = await (
      await protectedVault.beginRecoverDeletedKey("to-recover", { intervalInMs: 10 })
    ).pollUntilDone();
    assert.equal(recovered.properties.version, key.properties.version);
    assert.deepEqual(recovered.key!.n, key.key!.n);
  });

  it("refuses purge under purge protection, and purges without it", async () => {
    await protectedVault.createRsaKey("no-purge", { keySize: 2048 });
    await (await protectedVault.beginDeleteKey("no-purge", { intervalInMs: 10 })).pollUntilDone();
    await assert.rejects(protectedVault.purgeDeletedKey("no-purge"), restError(403, /purge protection is enabled/));

    const made = await purgeableVault.createRsaKey("purge-me", { keySize: 2048 });
    assert.equal(made.properties.recoveryLevel, "Recoverable+Purgeable");
    await (await purgeableVault.beginDeleteKey("purge-me", { intervalInMs: 10 })).pollUntilDone();
    await purgeableVault.purgeDeletedKey("purge-me");
    await assert.rejects(purgeableVault.getDeletedKey("purge-me"), restError(404));
    assert.equal(
      (await purgeableVault.createRsaKey("purge-me", { keySize: 2048 })).name,
      "purge-me",
      "the name is free again",
    );
  });
});

describe("authentication and authorization", () => {
  let vaultPath: string;
  let version: string;
  before(async () => {
    version = (await protectedVault.getKey("rsa-2048")).properties.version!;
    vaultPath = `/keys/rsa-2048/${version}/wrapkey`;
  });
  const body = () => ({ alg: "RSA-OAEP-256", value: randomBytes(32).toString("base64url") });

  /** A token signed with the emulator's own key (read from its state), with the given twists. */
  async function signed(claims: Record<string, unknown>, overrides: { expired?: boolean; tenant?: string } = {}) {
    const state = JSON.parse(await readFile(path.join(emu.dataDir, "state.json"), "utf8")) as { signingKey: JWK };
    const now = Math.floor(Date.now() / 1000);
    const tenant = overrides.tenant ?? demoTenants.contoso.id;
    return new SignJWT({ tid: tenant, oid: demoAutomationApp.objectId, ...claims })
      .setProtectedHeader({ alg: "RS256", kid: state.signingKey.kid })
      .setIssuer(`${emu.url}/${tenant}/v2.0`)
      .setAudience("https://vault.localhost")
      .setIssuedAt(now - 7200)
      .setExpirationTime(overrides.expired ? now - 3600 : now + 3600)
      .sign(await importJWK(state.signingKey, "RS256"));
  }

  it("challenges a call without a token with the vault's tenant and resource", async () => {
    const res = await emu.rawVaultCall(demoVaults.compliant.name, "POST", vaultPath, body(), null);
    assert.equal(res.status, 401);
    assert.equal(
      res.headers["www-authenticate"],
      `Bearer authorization="${emu.url}/${demoTenants.contoso.id}", resource="https://vault.localhost"`,
    );
  });

  it("accepts a valid token and refuses a bad signature, a wrong audience, an expired token and another tenant's", async () => {
    const good = await signed({});
    assert.equal((await emu.rawVaultCall(demoVaults.compliant.name, "POST", vaultPath, body(), good)).status, 200);

    const [h, p, s] = good.split(".") as [string, string, string];
    const tampered = `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === "AAAA" ? "BBBB" : "AAAA"}`;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, "base64url").toString()), oid: "00000000-0000-0000-0000-000000000001" })).toString("base64url")}.${s}`;
    const armToken = (await emu.automation.getToken(`${emu.url}/.default`))!.token;
    const cases: [string, string, RegExp][] = [
      ["tampered signature", tampered, /signature/],
      ["forged claims", forged, /signature/],
      ["wrong audience", armToken, /AKV10022/],
      ["expired", await signed({}, { expired: true }), /expired/],
      ["another tenant", await signed({}, { tenant: demoTenants.fabrikam.id }), /AKV10032/],
    ];
    for (const [label, token, message] of cases) {
      const res = await emu.rawVaultCall(demoVaults.compliant.name, "POST", vaultPath, body(), token);
      assert.equal(res.status, 401, label);
      assert.match(JSON.stringify(res.json), message, label);
      assert.ok(res.headers["www-authenticate"], `${label}: a 401 always carries the challenge`);
    }
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const selfSigned = await new SignJWT({ tid: demoTenants.contoso.id, oid: demoAutomationApp.objectId })
      .setProtectedHeader({ alg: "RS256", kid: "not-ours" })
      .setIssuer(`${emu.url}/${demoTenants.contoso.id}/v2.0`)
      .setAudience("https://vault.localhost")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(otherKey);
    assert.equal(
      (await emu.rawVaultCall(demoVaults.compliant.name, "POST", vaultPath, body(), selfSigned)).status,
      401,
      "a key the emulator did not issue",
    );
  });

  it("refuses with 403 ForbiddenByPolicy a principal without the permission, and allows it once granted", async () => {
    const arm = emu.arm();
    const vault = demoVaults.otherRegion.name;
    const client = emu.keyClient(vault);
    await assert.rejects(
      client.getKey("rsa-2048"),
      restError(403, /ForbiddenByPolicy|does not have keys get permission/),
    );
    await arm.vaults.updateAccessPolicy(demoVaults.resourceGroup, vault, "add", {
      properties: {
        accessPolicies: [
          { tenantId: demoTenants.contoso.id, objectId: demoAutomationApp.objectId, permissions: { keys: ["get"] } },
        ],
      },
    });
    const key = await client.getKey("rsa-2048");
    await assert.rejects(
      emu.cryptoClient(key.id!, emu.automation).wrapKey("RSA-OAEP-256", randomBytes(32)),
      restError(403, /wrapKey permission/),
    );
  });

  it("answers 404 VaultNotFound for a vault that does not exist", async () => {
    const res = await emu.rawVaultCall("no-such-vault", "GET", "/keys/x", undefined, await signed({}));
    assert.equal(res.status, 404);
    assert.match(JSON.stringify(res.json), /VaultNotFound/);
  });

  it("requires api-version", async () => {
    const res = await httpsJson(
      emu.agent,
      "GET",
      `${emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048`,
      undefined,
      { authorization: `Bearer ${await signed({})}` },
    );
    assert.equal(res.status, 400);
  });
});
