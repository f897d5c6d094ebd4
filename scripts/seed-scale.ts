/**
 * `npm run seed:scale -- <count> [accounts per vault]`: tops the local stack up to <count> customer-key
 * accounts in the Contoso subscription's resource group scale-rg (1 % inaccessible), with their
 * identities and grants in the emulator. The emulator and the database must be running (`npm start`,
 * or `npm run emulator` with DATABASE_URL set); see test/support/scale-seed.ts for what it writes.
 */
import "dotenv/config";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { localAzureAgent } from "@/lib/azure/local-agent";
import { loadConfig } from "@/lib/config";
import { seedScale } from "@/test/support/scale-seed";

const Args = z.tuple([z.coerce.number().int().min(1).max(1_000_000), z.coerce.number().int().min(1).max(100_000)]);
const parsed = Args.safeParse([process.argv[2], process.argv[3] ?? 1000]);
if (!parsed.success) {
  console.error("usage: npm run seed:scale -- <count 1..1000000> [accounts per vault, default 1000]");
  process.exit(2);
}
const [count, accountsPerVault] = parsed.data;
const config = loadConfig();
if (!config.emulator || !config.endpoints.extraCaFile) {
  console.error("The scale seed writes to the local emulator: it belongs to the local profile (APP_PROFILE=local).");
  process.exit(2);
}
const agent = localAzureAgent(await readFile(config.endpoints.extraCaFile, "utf8"));
let last = "";
const result = await seedScale({
  databaseUrl: config.database.url,
  emulator: { url: `https://localhost:${config.emulator.port}`, agent },
  count,
  accountsPerVault,
  spreadMs: config.monitorIntervalMs,
  onProgress: ({ phase, done, total }) => {
    const line = `[seed:scale] ${phase} ${done}/${total}`;
    if (line !== last)
      process.stdout.write(`${process.stdout.isTTY ? "\r" : ""}${line}${process.stdout.isTTY ? "" : "\n"}`);
    last = line;
  },
});
agent.destroy();
console.log(
  `\n[seed:scale] added ${result.added} accounts (now ${result.total} in scale-rg) in ${(result.ms / 1000).toFixed(1)} s`,
);
