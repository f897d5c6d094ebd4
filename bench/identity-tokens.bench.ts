/**
 * Managed-identity tokens of many identities in one process, looked up as a worker's check does
 * once its identity's Key Vault clients have left their cache (IDENTITY_CACHE_ENTRIES is smaller
 * than the identities a worker checks), with the tokens of 1,000, 10,000 and 100,000 identities
 * already fetched:
 *   - the service: `managedIdentityCredential` (lib/azure/managed-identities.ts), an LRU keyed by
 *     identity and scope in front of the SDK's credential, which empties the SDK's store;
 *   - baseline, up to SDK_MAX identities: the SDK alone, a ManagedIdentityCredential per identity
 *     (filling its store is quadratic: 3,000 took 15 s here, so it stops there by default).
 *     MSAL keeps every managed-identity token of the process in one static store, finds one by
 *     testing each key, and rebuilds its index on each write, so both grow with the identities.
 * Prints the time to fetch the tokens, microseconds per cached lookup, the service's heap per token,
 * and the token requests the emulator counted during the lookups (must be 0).
 *
 *   npm run bench -- identity-tokens   (SIZES=1000,3000,10000,100000 LOOKUPS=2000 SDK_MAX=3000)
 */
import { randomUUID } from "node:crypto";
import https from "node:https";
import v8 from "node:v8";
import vm from "node:vm";
import { ManagedIdentityCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import { emptySdkTokenStore, managedIdentityCredential } from "@/lib/azure/managed-identities";
import { demoRegion, demoTenants } from "@/lib/demo/directory";
import { httpsJson } from "@/emulator/test-support";
import { startAppEnvironment } from "@/test/support/app-environment";

const sizes = (process.env.SIZES ?? "1000,3000,10000,100000").split(",").map(Number);
const lookups = Number(process.env.LOOKUPS ?? 2000);
const sdkMax = Number(process.env.SDK_MAX ?? 3000);
const scope = "https://vault.azure.net/.default";
process.env.MANAGED_IDENTITY_TOKEN_CACHE_ENTRIES = String(Math.max(...sizes));
// Few credentials and clients, as in a worker of many identities: what stays per identity is its token.
process.env.IDENTITY_CACHE_ENTRIES = "100";
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const heap = () => (gc(), process.memoryUsage().heapUsed);

const env = await startAppEnvironment();
// A connection of its own per reading: a kept-alive one, idle through a long phase, was reset under
// the bench and its request never answered.
const tokenRequests = async () =>
  (
    (
      await httpsJson(
        new https.Agent({ ca: env.emu.caPem, keepAlive: false }),
        "GET",
        `${env.emu.url}/_emulator/counters`,
      )
    ).json as { "managed-identity"?: Record<string, Record<string, number>> }
  )["managed-identity"]?.["-"]?.token ?? 0;

/** Seconds to get a token for each client id, 16 at a time. */
async function fetchAll(clientIds: string[], credential: (clientId: string) => TokenCredential) {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < clientIds.length) await credential(clientIds[next++]!).getToken(scope);
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Microseconds per lookup of a cached token, spread over every identity. */
async function perLookup(clientIds: string[], credential: (clientId: string) => TokenCredential) {
  const started = performance.now();
  for (let i = 0; i < lookups; i++) await credential(clientIds[(i * 7919) % clientIds.length]!).getToken(scope);
  return ((performance.now() - started) * 1000) / lookups;
}

// One SDK credential per identity, kept: a new one per lookup (as after an eviction) costs more
// still, and thousands of them left sockets behind that the emulator reset.
const sdkCredentials = new Map<string, TokenCredential>();
const sdkCredential = (clientId: string) => {
  let credential = sdkCredentials.get(clientId);
  if (!credential) sdkCredentials.set(clientId, (credential = new ManagedIdentityCredential({ clientId })));
  return credential;
};
try {
  // Every identity of every size first: the emulator's admin calls stay out of the measured phases.
  const identities = Array.from({ length: Math.max(...sizes) }, () => ({
    principalId: randomUUID(),
    clientId: randomUUID(),
    tenantId: demoTenants.contoso.id,
    resourceId: `/subscriptions/bench/resourceGroups/bench/providers/Microsoft.Media/mediaservices/${randomUUID()}`,
    location: demoRegion,
    grants: [],
  }));
  for (let from = 0; from < identities.length; from += 2000)
    await env.emu.admin("POST", "bulk/identities", { identities: identities.slice(from, from + 2000) });
  const clientIds: string[] = [];
  console.log(`${lookups} lookups of cached tokens at each size\n`);
  for (const size of sizes) {
    const added = identities.slice(clientIds.length, size);
    clientIds.push(...added.map((a) => a.clientId));

    const heapBefore = heap();
    const serviceFetch = await fetchAll(
      added.map((a) => a.clientId),
      managedIdentityCredential,
    );
    const bytesPerToken = (heap() - heapBefore) / added.length;
    let requests = await tokenRequests();
    const service = await perLookup(clientIds, managedIdentityCredential);
    let requested = (await tokenRequests()) - requests;
    let line =
      `${String(size).padStart(7)} identities: service ${service.toFixed(1)} µs per lookup ` +
      `(${added.length} new tokens fetched in ${serviceFetch.toFixed(1)} s, ${(bytesPerToken / 1024).toFixed(1)} KB of heap each)`;
    if (size <= sdkMax) {
      const sdkFetch = await fetchAll(clientIds, sdkCredential);
      requests = await tokenRequests();
      const sdk = await perLookup(clientIds, sdkCredential);
      requested += (await tokenRequests()) - requests;
      line +=
        `; SDK alone ${sdk.toFixed(1)} µs per lookup (${size} tokens fetched in ${sdkFetch.toFixed(1)} s); ` +
        `ratio service/SDK ${(service / sdk).toFixed(4)}`;
      emptySdkTokenStore(sdkCredential(clientIds[0]!));
      sdkCredentials.clear();
    }
    console.log(`${line}; token requests during the lookups: ${requested}`);
  }
} finally {
  await env.dispose();
}
