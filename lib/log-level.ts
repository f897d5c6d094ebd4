/**
 * LOG_LEVEL. The service logs through lib/observability/logger.ts (JSON, at this level); what is
 * still printed through the console (libraries, command-line output) is held to it here too: the
 * methods below the level print nothing.
 */
export const logLevels = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof logLevels)[number];

const methodLevels: [keyof Pick<Console, "debug" | "log" | "info" | "warn">, LogLevel][] = [
  ["debug", "debug"],
  ["log", "info"],
  ["info", "info"],
  ["warn", "warn"],
];

export function applyLogLevel(level: LogLevel, target: Console = console): void {
  const min = logLevels.indexOf(level);
  for (const [method, methodLevel] of methodLevels) {
    if (logLevels.indexOf(methodLevel) < min) target[method] = () => {};
  }
}
