/**
 * `npm run emulator`: the local Azure emulator on its own, with state in DATA_DIR/emulator.
 * `npm start` runs it together with the portal.
 */
import "dotenv/config";
import path from "node:path";
import { loadConfig } from "@/lib/config";
import { startEmulator } from "./server";

const config = loadConfig();
const port = Number(process.env.EMULATOR_PORT ?? 8443);
const emulator = await startEmulator({
  dataDir: path.join(config.dataDir, "emulator"),
  port,
  identityPort: Number(process.env.EMULATOR_IDENTITY_PORT ?? port + 1),
  resourceProviderUrl: `http://127.0.0.1:${config.port}`,
  admin: config.profile === "local",
});
console.log(`Azure emulator: ${emulator.url} (Entra ID, ARM), vaults at https://<vault>.vault.localhost:${emulator.port}`);
console.log(`Managed identity endpoint: ${emulator.identityEndpoint}; CA certificate: ${path.join(config.dataDir, "emulator", "tls", "ca.pem")}`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void emulator.stop().then(() => process.exit(0));
  });
}
