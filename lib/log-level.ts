/**
 * LOG_LEVEL for this process's console: the methods below the level print nothing. The service
 * logs through the console (one line per event, never a secret), so this is where the level holds.
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
