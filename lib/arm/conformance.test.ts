/**
 * The specification's own examples as the conformance suite. Each folder of
 * test/conformance/examples holds examples copied from Azure/azure-rest-api-specs (provenance in its
 * replay.json) and the replay: for each example, the operation's method and path as the spec
 * defines them, what must exist first (`given`), or the refusal it gets by design (`refused`).
 * The example's request is sent with this suite's subscription, resource group and account
 * substituted; the answer must have one of the example's status codes, and every property of the
 * example's body with its type and value, generated values (GUIDs, dates, names built on them)
 * matched by shape. Add a folder with examples and a replay.json to extend it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions } from "@/lib/demo/directory";
import { armApiPerFile } from "@/test/support/arm-client";

const root = path.join(process.cwd(), "test/conformance/examples");
const sub = demoSubscriptions.contosoMedia.id;

interface Step {
  example: string;
  method: string;
  /** The spec's path template, `{name}` filled from the example's parameters. */
  path: string;
  /** Requests that make the state the example assumes, relative to the account. */
  given?: { method: string; path: string; body?: unknown }[];
  refused?: { status: number; code: string; target?: string; why: string };
}
interface Replay {
  source: { repo: string; folder: string; commits: Record<string, string> };
  /** Whether the suite creates the account first (not for the account's own examples). */
  createAccount?: boolean;
  replay: Step[];
}
interface Example {
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: unknown; headers?: Record<string, string> }>;
}

const guid = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const isoDate = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Where `actual` departs from `expected`: each missing property, wrong type or different value, by its path. */
export function differences(expected: unknown, actual: unknown, at = "body"): string[] {
  if (expected === null) return actual === null ? [] : [`${at}: expected null`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array`];
    if (actual.length !== expected.length) return [`${at}: expected ${expected.length} items, got ${actual.length}`];
    return expected.flatMap((e, i) => differences(e, actual[i], `${at}[${i}]`));
  }
  if (typeof expected === "object") {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return [`${at}: expected an object`];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      k in actual ? differences(v, (actual as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}.${k}: missing`],
    );
  }
  if (typeof actual !== typeof expected) return [`${at}: expected a ${typeof expected}, got ${JSON.stringify(actual)}`];
  if (typeof expected !== "string")
    return actual === expected ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
  const value = actual as string;
  if (isoDate.test(expected)) return isoDate.test(value) ? [] : [`${at}: expected a date, got ${value}`];
  // GUIDs are generated (and written lower-case); ARM ids compare without case.
  const shape = new RegExp(`^${escape(expected).replace(new RegExp(guid, "g"), guid)}$`, at.endsWith(".id") ? "i" : "");
  return shape.test(value) ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(value)}`];
}

function substitute(value: unknown, from: string[], to: string[]): unknown {
  let text = JSON.stringify(value);
  from.forEach(
    (f, i) => (text = text.replaceAll(`/${f}/`, `/${to[i]}/`).replace(new RegExp(`/${escape(f)}"`, "g"), `/${to[i]}"`)),
  );
  return JSON.parse(text);
}

const folders = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory());

const { call } = armApiPerFile();

for (const folder of folders) {
  const dir = path.join(root, folder.name);
  const replay = JSON.parse(readFileSync(path.join(dir, "replay.json"), "utf8")) as Replay;
  const account = `conf${folder.name.replace(/[^a-z0-9]/g, "")}`.slice(0, 24);
  const accountPath = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${account}`;

  describe(`the spec's examples: ${replay.source.folder}`, () => {
    before(async () => {
      if (replay.createAccount === false) return;
      const created = await call("PUT", `${accountPath}?api-version=2021-11-01`, { location: "westus2" });
      assert.ok([200, 201].includes(created.status), JSON.stringify(created.json));
    });

    it("keeps where each example came from", () => {
      const files = readdirSync(dir).filter((f) => f !== "replay.json");
      assert.deepEqual(files.sort(), Object.keys(replay.source.commits).sort());
      assert.deepEqual(replay.replay.map((s) => s.example).sort(), files.sort(), "every example is replayed");
    });

    for (const step of replay.replay) {
      const title = step.refused ? `${step.example}: refused by design (${step.refused.why})` : step.example;
      it(title, async () => {
        const example = JSON.parse(readFileSync(path.join(dir, step.example), "utf8")) as Example;
        const p = example.parameters;
        const ours: Record<string, string> = {
          subscriptionId: sub,
          resourceGroupName: demoResourceGroup,
          accountName: account,
        };
        const from = ["subscriptionId", "resourceGroupName", "accountName"].map((k) => String(p[k]));
        const to = from.map((_, i) => Object.values(ours)[i]!);
        for (const g of step.given ?? []) {
          const res = await call(g.method, `${accountPath}/${g.path}?api-version=${String(p["api-version"])}`, g.body);
          assert.ok(res.status < 300, `given ${g.method} ${g.path}: ${JSON.stringify(res.json)}`);
        }
        const url =
          step.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(ours[name] ?? String(p[name]))) +
          `?api-version=${String(p["api-version"])}`;
        const bodyParam = Object.entries(p).find(([, v]) => typeof v === "object" && v !== null)?.[1];
        const res = await call(step.method, url, bodyParam);

        if (step.refused) {
          const error = (res.json as { error?: { code: string; target?: string } }).error;
          assert.equal(res.status, step.refused.status, JSON.stringify(res.json));
          assert.equal(error?.code, step.refused.code);
          if (step.refused.target) assert.equal(error?.target, step.refused.target);
          return;
        }
        const statuses = Object.keys(example.responses);
        assert.ok(
          statuses.includes(String(res.status)),
          `status ${res.status} not in ${statuses.join(", ")}: ${JSON.stringify(res.json)}`,
        );
        const expected = example.responses[String(res.status)]!;
        for (const header of ["Azure-AsyncOperation", "Location"])
          if (expected.headers?.[header]) assert.ok(res.headers.get(header), `${header} header`);
        if (expected.body !== undefined)
          assert.deepEqual(differences(substitute(expected.body, from, to), res.json), []);
      });
    }
  });
}
