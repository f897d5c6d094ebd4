/**
 * The deployment guide, .env.example and the configuration schema name the same variables, so an
 * operator who follows the guide sets nothing the service ignores and misses nothing it reads.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { profileVariables } from "./config";

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

/**
 * Settings of the Azure platform itself that the guide tells the operator to set and the service
 * never reads. The guide's shell variables are lower-case, so every other UPPER_SNAKE word in it
 * is a variable of the service.
 */
const platformSettings = new Set(["SCM_DO_BUILD_DURING_DEPLOYMENT"]);

/** Every UPPER_SNAKE word with an underscore, and every upper-case word in backticks (`PORT`), of a text. */
const variableNames = (text: string) =>
  new Set([
    ...(text.match(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g) ?? []),
    ...[...text.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]!),
  ]);

/** The names .env.example assigns, commented out or not. */
const envExampleNames = (text: string) => new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));

const missing = (names: Iterable<string>, from: Set<string>) => [...names].filter((name) => !from.has(name)).sort();

describe("docs/deploy-azure.md, .env.example and lib/config.ts", () => {
  const guide = [...variableNames(read("docs/deploy-azure.md"))].filter((name) => !platformSettings.has(name));
  const envExample = envExampleNames(read(".env.example"));
  const schema = new Set([...profileVariables.local, ...profileVariables.azure]);

  it("the guide names every variable the azure profile reads", () => {
    assert.deepEqual(missing(profileVariables.azure, new Set(guide)), []);
  });

  it("every variable the guide names is read by the configuration schema and listed in .env.example", () => {
    assert.ok(guide.length >= profileVariables.azure.length, "the guide names variables");
    assert.deepEqual(missing(guide, schema), [], "named in the guide, unknown to lib/config.ts");
    assert.deepEqual(missing(guide, envExample), [], "named in the guide, missing from .env.example");
  });

  it(".env.example lists every variable of both profiles", () => {
    assert.deepEqual(missing(schema, envExample), []);
  });

  it("the platform settings the guide names are not variables of the service", () => {
    for (const name of platformSettings)
      assert.ok(!schema.has(name), `${name} is read by lib/config.ts: drop it from platformSettings`);
  });
});
