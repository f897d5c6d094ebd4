/**
 * The key-delivery listener (`npm start` runs one): players fetch content keys at
 * KEY_DELIVERY_PORT, /keydelivery/{mediaServiceId}?kid={key id}, served by the same code as the
 * portal's route of that path.
 */
import "dotenv/config";
import { ConfigError, loadConfig } from "@/lib/config";
import { accountChangeFeed } from "@/lib/db/account-changes";
import { databaseQueryCount, disconnectDb } from "@/lib/db/client";
import { applyLogLevel } from "@/lib/log-level";
import { startKeyDeliveryListener } from "@/lib/media/key-delivery-listener";
import { logger } from "@/lib/observability/logger";

let config;
try {
  config = loadConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
applyLogLevel(config.logLevel);
const listener = await startKeyDeliveryListener({
  host: config.profile === "local" ? "127.0.0.1" : "0.0.0.0",
  port: config.keyDelivery.port,
});
logger("key-delivery").info({ url: listener.url, metrics: `${listener.url}/metrics` }, "key delivery listening");

// A parent that started this process with an IPC channel (bench/key-delivery.bench.ts) may read its counters.
process.on("message", (message: { type?: string }) => {
  if (message?.type === "stats") process.send?.({ dbQueries: databaseQueryCount(), ...accountChangeFeed().stats });
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await listener.close();
    await disconnectDb();
    process.exit(0);
  });
}
