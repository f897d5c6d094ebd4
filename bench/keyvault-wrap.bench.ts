/**
 * Wrap/unwrap round-trips of a 256-bit account key through the official CryptographyClient
 * against the local emulator (HTTPS, token verification, access policy, RSA-OAEP-256 with the
 * vault's RSA-3072 key), next to the same RSA operations done directly with node:crypto in the
 * same run. The ratio is what the emulator's protocol path costs on this machine; it is not a
 * prediction of Azure Key Vault's latency.
 *
 *   npm run bench -- keyvault-wrap   (ROUND_TRIPS=400 CONCURRENCY=8 to change the load)
 */
import { constants, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from "node:crypto";
import { demoAutomationApp, demoVaults } from "@/lib/demo/directory";
import { startTestEmulator } from "@/emulator/test-support";

const roundTrips = Number(process.env.ROUND_TRIPS ?? 300);
const concurrency = Number(process.env.CONCURRENCY ?? 8);

async function timed(label: string, count: number, work: (i: number) => Promise<void> | void, parallel = 1) {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await work(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const rate = count / seconds;
  console.log(`${label.padEnd(58)} ${count} round-trips in ${seconds.toFixed(2)} s = ${rate.toFixed(0)}/s`);
  return rate;
}

const emu = await startTestEmulator();
try {
  await emu.grantKeys(demoVaults.compliant.name, demoAutomationApp.objectId);
  const key = await emu.keyClient(demoVaults.compliant.name).getKey("rsa-3072");
  const client = emu.cryptoClient(key.id!, emu.automation);
  const accountKey = randomBytes(32);
  await client.unwrapKey("RSA-OAEP-256", (await client.wrapKey("RSA-OAEP-256", accountKey)).result); // challenge, token, connection

  const viaClient = async () => {
    const wrapped = await client.wrapKey("RSA-OAEP-256", accountKey);
    const unwrapped = await client.unwrapKey("RSA-OAEP-256", wrapped.result);
    if (!Buffer.from(unwrapped.result).equals(accountKey)) throw new Error("round-trip changed the key");
  };

  // The baseline: the same key size and algorithm, in process, no network, no auth.
  const { privateKey: local, publicKey: localPublic } = generateKeyPairSync("rsa", { modulusLength: 3072 });
  const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" };
  const raw = () => {
    const wrapped = publicEncrypt({ key: localPublic, ...oaep }, accountKey);
    if (!privateDecrypt({ key: local, ...oaep }, wrapped).equals(accountKey))
      throw new Error("round-trip changed the key");
  };

  console.log(`RSA-3072, RSA-OAEP-256, 32-byte key; ${roundTrips} round-trips each\n`);
  const baseline = await timed("node:crypto publicEncrypt + privateDecrypt (baseline)", roundTrips, raw);
  const sequential = await timed(
    "CryptographyClient wrapKey + unwrapKey via emulator, 1 at a time",
    roundTrips,
    viaClient,
  );
  const parallel = await timed(
    `CryptographyClient via emulator, ${concurrency} concurrent`,
    roundTrips,
    viaClient,
    concurrency,
  );
  const counters = ((await emu.admin("GET", "counters")).json as Record<string, Record<string, Record<string, number>>>)
    .keyvault?.[demoVaults.compliant.name];
  console.log(
    `\nratio to baseline: sequential ${(sequential / baseline).toFixed(3)}, concurrent ${(parallel / baseline).toFixed(3)}`,
  );
  console.log(
    `emulator counted wrapKey ${counters?.wrapKey}, unwrapKey ${counters?.unwrapKey} (expected ${2 * roundTrips + 1} each: both runs and the warm-up)`,
  );
} finally {
  await emu.dispose();
}
