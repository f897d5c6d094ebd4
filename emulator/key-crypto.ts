/** Key material and RSA operations of the emulated vault, with node:crypto. */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  type JsonWebKey,
} from "node:crypto";
import { promisify } from "node:util";
import type { JWK } from "jose";

const generate = promisify(generateKeyPair);

export const rsaSizes = [2048, 3072, 4096] as const;
export const ecCurves: Record<string, string> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
  "P-256K": "secp256k1",
};
export const rsaAlgorithms = ["RSA-OAEP", "RSA-OAEP-256", "RSA1_5"] as const;
export type RsaAlgorithm = (typeof rsaAlgorithms)[number];

export class KeyMaterialError extends Error {}

export async function generateKey(kty: string, options: { size?: number; curve?: string }): Promise<JWK> {
  if (kty === "RSA" || kty === "RSA-HSM") {
    const size = options.size ?? 2048;
    if (!(rsaSizes as readonly number[]).includes(size))
      throw new KeyMaterialError(`Invalid key size ${size}: RSA keys are 2048, 3072 or 4096 bits.`);
    const { privateKey } = await generate("rsa", { modulusLength: size, publicExponent: 0x10001 });
    return privateKey.export({ format: "jwk" }) as JWK;
  }
  if (kty === "EC" || kty === "EC-HSM") {
    const curve = options.curve ?? "P-256";
    const named = ecCurves[curve];
    if (!named) throw new KeyMaterialError(`Invalid curve ${curve}: use P-256, P-384, P-521 or P-256K.`);
    const { privateKey } = await generate("ec", { namedCurve: named });
    return { ...(privateKey.export({ format: "jwk" }) as JWK), crv: curve };
  }
  throw new KeyMaterialError(`Invalid key type ${kty}: this emulator creates RSA, RSA-HSM, EC and EC-HSM keys.`);
}

/** Validates an imported private JWK; returns it normalized (no kid, key_ops, or public-only keys). */
export function importableJwk(jwk: Record<string, unknown>): JWK {
  const kty = String(jwk.kty ?? "").replace(/-HSM$/, "");
  const { kid: _kid, key_ops: _ops, ...material } = jwk;
  try {
    const curve = kty === "EC" ? ecCurves[String(jwk.crv)] : undefined;
    if (kty === "EC" && !curve) throw new KeyMaterialError(`Invalid curve ${String(jwk.crv)}.`);
    const key = createPrivateKey({
      key: { ...material, kty, crv: kty === "EC" && jwk.crv === "P-256K" ? "secp256k1" : material.crv } as JsonWebKey,
      format: "jwk",
    });
    if (kty === "RSA" && !(rsaSizes as readonly number[]).includes(key.asymmetricKeyDetails?.modulusLength ?? 0)) {
      throw new KeyMaterialError("RSA keys are 2048, 3072 or 4096 bits.");
    }
  } catch (err) {
    throw err instanceof KeyMaterialError
      ? err
      : new KeyMaterialError("The key is not a valid private RSA or EC JSON web key.");
  }
  return { ...material, kty } as JWK;
}

export function rsaSize(jwk: JWK): number {
  return Buffer.from(jwk.n ?? "", "base64url").length * 8;
}

/** Public members only, for responses. */
export function publicJwk(jwk: JWK): Record<string, string> {
  return jwk.kty === "RSA" ? { n: jwk.n!, e: jwk.e! } : { crv: jwk.crv!, x: jwk.x!, y: jwk.y! };
}

function nodeJwk(jwk: JWK): JsonWebKey {
  return (jwk.crv === "P-256K" ? { ...jwk, crv: "secp256k1" } : jwk) as JsonWebKey;
}

const oaepHash: Record<RsaAlgorithm, string | undefined> = {
  "RSA-OAEP": "sha1",
  "RSA-OAEP-256": "sha256",
  RSA1_5: undefined,
};

export function rsaEncrypt(jwk: JWK, alg: RsaAlgorithm, plaintext: Buffer): Buffer {
  const key = createPublicKey({ key: nodeJwk(jwk), format: "jwk" });
  return alg === "RSA1_5"
    ? publicEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, plaintext)
    : publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash[alg] }, plaintext);
}

/** Throws KeyMaterialError for a ciphertext that does not decrypt under this key and algorithm. */
export function rsaDecrypt(jwk: JWK, alg: RsaAlgorithm, ciphertext: Buffer): Buffer {
  const key = createPrivateKey({ key: nodeJwk(jwk), format: "jwk" });
  try {
    if (alg !== "RSA1_5")
      return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: oaepHash[alg] }, ciphertext);
    // Node 20 refuses PKCS#1 v1.5 decryption (CVE-2023-46809), so the padding is removed here
    // from the raw RSA result: 0x00 0x02 <8+ non-zero bytes> 0x00 <message>.
    const block = privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, ciphertext);
    const separator = block.indexOf(0, 2);
    if (block[0] !== 0 || block[1] !== 2 || separator < 10) throw new Error("bad padding");
    return block.subarray(separator + 1);
  } catch {
    throw new KeyMaterialError("The ciphertext cannot be decrypted with this key and algorithm.");
  }
}
