/**
 * `npm run emulator`: the local Azure emulator on its own, with state in DATA_DIR/emulator.
 * `npm start` runs it together with the portal.
 */
import "dotenv/config";
import { loadConfig } from "@/lib/config";
import { startEmulatorFor } from "./for-config";

const config = loadConfig();
if (!config.emulator) {
  console.error("The emulator belongs to the local profile (APP_PROFILE=local).");
  process.exit(2);
}
const emulator = await startEmulatorFor(config);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    void emulator.stop().then(() => process.exit(0));
  });
}
