/**
 * The HTTPS agent that lets the real Azure SDK clients reach the local emulator, used in the
 * `local` profile only:
 * - it trusts the emulator's CA (in addition to the system's), never disabling certificate checks;
 * - it resolves `localhost` and `*.localhost` to loopback, as browsers do (RFC 6761), which
 *   Node's resolver here does not. Key Vault's per-vault host names need it.
 */
import dns from "node:dns";
import https from "node:https";
import type { LookupFunction } from "node:net";
import tls from "node:tls";

const isLocalhost = (hostname: string) => hostname === "localhost" || hostname.endsWith(".localhost");

export const localhostLookup: LookupFunction = (hostname, options, callback) => {
  if (!isLocalhost(hostname)) return dns.lookup(hostname, options, callback);
  if (options.all)
    return (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
      { address: "127.0.0.1", family: 4 },
    ]);
  return callback(null, "127.0.0.1", 4);
};

export function localAzureAgent(caPem: string): https.Agent {
  return new https.Agent({ ca: [...tls.rootCertificates, caPem], lookup: localhostLookup, keepAlive: true });
}
