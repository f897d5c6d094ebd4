/**
 * The app's own configuration pointed at a fresh emulator and a fresh database, for integration
 * tests of lib/ code: Key Vault, managed identities and ARM are reached exactly as in production
 * (HTTPS, the emulator's CA, IDENTITY_ENDPOINT). Call before any lib module reads its config.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEmulator, type TestEmulator } from "@/emulator/test-support";
import { createTestDatabase, type TestDatabase } from "@/lib/db/test-database";
import { seedDemo } from "@/lib/db/seed";

export interface AppEnvironment {
  emu: TestEmulator;
  database: TestDatabase;
  dispose(): Promise<void>;
}

export async function startAppEnvironment(): Promise<AppEnvironment> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "byok-app-"));
  const emu = await startTestEmulator({ dataDir: path.join(dataDir, "emulator") });
  Object.assign(process.env, {
    APP_PROFILE: "local",
    DATA_DIR: dataDir,
    EMULATOR_PORT: String(emu.port),
    IDENTITY_ENDPOINT: emu.identityEndpoint,
    IDENTITY_HEADER: emu.identityHeader,
  });
  const database = await createTestDatabase({ forApp: true });
  await seedDemo(database.db);
  return {
    emu,
    database,
    async dispose() {
      await database.drop();
      await emu.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
