import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyLogLevel, logLevels } from "./log-level";

/** A console whose methods record what they print. */
function recordingConsole() {
  const printed: string[] = [];
  const target = {} as Console;
  for (const method of ["debug", "log", "info", "warn", "error"] as const) target[method] = () => printed.push(method);
  return { target, printed };
}

describe("LOG_LEVEL", () => {
  const expected: Record<(typeof logLevels)[number], string[]> = {
    debug: ["debug", "log", "info", "warn", "error"],
    info: ["log", "info", "warn", "error"],
    warn: ["warn", "error"],
    error: ["error"],
  };
  for (const level of logLevels) {
    it(`${level}: prints ${expected[level].join(", ")}`, () => {
      const { target, printed } = recordingConsole();
      applyLogLevel(level, target);
      for (const method of ["debug", "log", "info", "warn", "error"] as const) target[method]("x");
      assert.deepEqual(printed, expected[level]);
    });
  }
});
