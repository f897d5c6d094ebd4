import { Writable } from "node:stream";
import { createLogger, setRootLogger } from "@/lib/observability/logger";

/** Everything the app logs until `restore()`, as the JSON objects it wrote (the logger's real output, redaction included). */
export function captureLogs(level: "debug" | "info" = "debug") {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const previous = setRootLogger(createLogger({ level, destination }));
  return {
    raw,
    get entries(): Record<string, unknown>[] {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    restore: () => void setRootLogger(previous),
  };
}
