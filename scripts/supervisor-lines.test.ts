/** How the launcher prints its children's lines: JSON log entries stay JSON, named by process. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tagged } from "./supervisor";

describe("a supervised child's output", () => {
  it("a JSON log entry stays one JSON object, with the process's name added", () => {
    const line = JSON.stringify({ level: "info", component: "monitor", accountId: "a-1", msg: "check" });
    assert.deepEqual(JSON.parse(tagged("worker-2", line)), {
      process: "worker-2",
      level: "info",
      component: "monitor",
      accountId: "a-1",
      msg: "check",
    });
  });

  it("any other line, JSON-looking or not, gets the name in front", () => {
    assert.equal(tagged("keys", "listening"), "[keys] listening");
    assert.equal(tagged("keys", "{not json"), "[keys] {not json");
    assert.equal(tagged("keys", "[1,2]"), "[keys] [1,2]");
  });
});
