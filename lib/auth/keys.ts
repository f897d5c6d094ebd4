import "server-only";
import { hkdfSync, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getConfig } from "@/lib/config";

let secret: Buffer | undefined;

/**
 * SESSION_SECRET in the azure profile; locally, a random secret created once in DATA_DIR, so
 * sessions survive a restart and nothing secret is committed.
 */
function sessionSecret(): Buffer {
  if (secret) return secret;
  const config = getConfig();
  if (config.auth.sessionSecret) return (secret = Buffer.from(config.auth.sessionSecret, "utf8"));
  const file = path.join(config.dataDir, "session-secret");
  try {
    secret = Buffer.from(readFileSync(file, "utf8").trim(), "base64url");
  } catch {
    mkdirSync(config.dataDir, { recursive: true });
    const created = randomBytes(32).toString("base64url");
    try {
      writeFileSync(file, created, { mode: 0o600, flag: "wx" });
    } catch {
      // Another process created it first: use theirs.
    }
    secret = Buffer.from(readFileSync(file, "utf8").trim(), "base64url");
  }
  return secret;
}

/** A 256-bit key for one purpose, derived from the session secret (HKDF-SHA256). */
export function derivedKey(purpose: "session-cookie" | "auth-flow-cookie" | "token-cache"): Buffer {
  return Buffer.from(hkdfSync("sha256", sessionSecret(), "byok-media", purpose, 32));
}
