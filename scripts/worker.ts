/**
 * `npm run worker`: the key monitor. Safe to run several: accounts are claimed with leases.
 * `npm start` runs one.
 */
import "dotenv/config";
import { loadConfig } from "@/lib/config";
import { disconnectDb } from "@/lib/db/client";
import { startMonitor } from "@/lib/monitor/worker";

const config = loadConfig();
const monitor = startMonitor({
  loop: true,
  onOutcome: (o) => {
    if (o.result !== "active") console.log(`[monitor] ${o.accountId}: ${o.result}${o.reason ? ` (${o.reason})` : ""}${o.rewrappedTo ? ` → ${o.rewrappedTo}` : ""}`);
  },
});
console.log(`[monitor] ${monitor.owner} checks customer keys every ${config.monitorIntervalMs / 1000} s`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, async () => {
    await monitor.stop();
    await disconnectDb();
    process.exit(0);
  });
}
