import type { AppConfig } from "@/lib/config";
import { startEmulator, type RunningEmulator } from "./server";

/**
 * The emulator as the local profile configures it: ports and data from the config, the portal
 * as the Microsoft.Media resource provider, test controls on (loopback only).
 */
export async function startEmulatorFor(config: AppConfig, identityHeader?: string): Promise<RunningEmulator> {
  const emulator = config.emulator!;
  const running = await startEmulator({
    dataDir: emulator.dir,
    port: emulator.port,
    identityPort: emulator.identityPort,
    resourceProviderUrl: `http://127.0.0.1:${config.port}`,
    admin: true,
    identityHeader: identityHeader ?? process.env.IDENTITY_HEADER,
  });
  console.log(
    `[emulator] Entra ID and ARM at ${running.url}; vaults at https://<vault>.vault.localhost:${running.port}`,
  );
  console.log(`[emulator] managed identity endpoint ${running.identityEndpoint}; CA ${config.endpoints.extraCaFile}`);
  return running;
}
