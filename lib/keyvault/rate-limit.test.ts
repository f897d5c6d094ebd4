import assert from "node:assert/strict";
import { it } from "node:test";
import { perVaultLimiter } from "./rate-limit";

it("lets `limit` operations per window through for each vault, queuing the rest", async () => {
  const run = perVaultLimiter(5, 400);
  const started = performance.now();
  const finished: Record<string, number[]> = { a: [], b: [] };
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      ["a", "b"].map((vault) =>
        run(`https://${vault}.vault.azure.net`, async () => finished[vault]!.push(performance.now() - started) + i),
      ),
    ).flat(),
  );
  for (const times of Object.values(finished)) {
    assert.equal(times.length, 10);
    assert.ok(
      times.slice(0, 5).every((t) => t < 200),
      `first window at once: ${times.map(Math.round)}`,
    );
    assert.ok(
      times.slice(5).every((t) => t >= 390),
      `the rest waited a window: ${times.map(Math.round)}`,
    );
  }
});
