/**
 * Authenticated encryption of one secret under a 256-bit key (an account key, or the portal's
 * token-cache key): AES-256-GCM with a random 96-bit nonce, and associated data that binds the
 * ciphertext to its record, so a ciphertext copied to another record does not decrypt.
 *
 * Byte format, version 1:  0x01 | nonce (12) | tag (16) | ciphertext
 * The leading version byte lets the scheme change later while old records stay readable.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION_1 = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

/** What a ciphertext belongs to; all three parts are authenticated. */
export interface RecordBinding {
  /** The account (or session) that owns the key. */
  scope: string;
  /** The kind of record, e.g. "contentKey", "jobInputUrl", "tokenKey". */
  kind: string;
  /** The record's id. */
  id: string;
}

export class DecryptionError extends Error {
  override name = "DecryptionError";
}

function associatedData({ scope, kind, id }: RecordBinding): Buffer {
  // Length-prefixed, so ("ab","c") and ("a","bc") never produce the same bytes.
  return Buffer.concat(
    [scope, kind, id].map((part) => {
      const bytes = Buffer.from(part, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return Buffer.concat([length, bytes]);
    }),
  );
}

function checkKey(key: Buffer) {
  if (key.length !== KEY_BYTES) throw new RangeError(`An envelope key is ${KEY_BYTES} bytes, not ${key.length}.`);
}

export function seal(key: Buffer, plaintext: Buffer, binding: RecordBinding): Buffer {
  checkKey(key);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(associatedData(binding));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION_1), nonce, cipher.getAuthTag(), ciphertext]);
}

/** Throws DecryptionError, saying nothing of the plaintext, when the key, binding or bytes are wrong. */
export function open(key: Buffer, sealed: Buffer, binding: RecordBinding): Buffer {
  checkKey(key);
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES) throw new DecryptionError("The ciphertext is truncated.");
  if (sealed[0] !== VERSION_1) throw new DecryptionError(`Unknown envelope format version ${sealed[0]}.`);
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const tag = sealed.subarray(1 + NONCE_BYTES, 1 + NONCE_BYTES + TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(associatedData(binding));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionError("The ciphertext does not authenticate: wrong key, wrong record, or altered bytes.");
  }
}
