/**
 * The specification's own examples as the conformance suite. Each folder of
 * test/conformance/examples holds examples copied from Azure/azure-rest-api-specs (provenance in its
 * replay.json: the folder, and the commit of each file) and the replay, one step per example:
 *
 * - replayed: the operation's method and path as the spec defines them, and what must exist first
 *   (`given`, built from the folder's other examples). The example's request is sent with this
 *   suite's subscription, resource group and account substituted, with its `$filter`/`$orderby`/
 *   `$top`; the answer must have one of the example's status codes, the headers that matter
 *   (Azure-AsyncOperation, Location) when the example has them, and every property of the
 *   example's body with its type and value, generated values (GUIDs, dates, names built on them,
 *   the examples' own `$ignored$`) matched by shape. `except` names a property that cannot match,
 *   and why; `query` replaces a query parameter whose literal dates or job states are the
 *   example's history (`{created:<path>}` is the `created` of a resource the step made).
 * - A given with the path "" is the step's account itself; `wait` polls the operation it started
 *   (Azure-AsyncOperation) until it ends. The last operation a given started fills `{operationId}`
 *   and `{locationName}` of the step's path. `fault` is injected into the emulator's Key Vault
 *   before the givens (an operation still running when the step reads it). `rename` maps other
 *   literal ids of the example (a second subscription) to ours. `among`: a list the whole suite
 *   shares (the accounts of a subscription), so each of the example's items is found by name in it.
 *   In replay.json `{vault:<name>}` is the URL of an emulator vault.
 * - `refused`: a feature this service refuses by design: the request (or the given at index `at`)
 *   gets that status and code.
 * - `notRouted`: an operation this service does not offer: the answer is ARM's JSON error (404, or
 *   405 with Allow).
 *
 * Every example runs against an account of its own, so lists see what their step made and nothing
 * else. A file left `trimmed` in replay.json keeps the example's request and status codes only: its
 * response is never compared (the example is refused or not routed).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions } from "@/lib/demo/directory";
import { armApiPerFile, type ArmReply } from "@/test/support/arm-client";

const root = path.join(process.cwd(), "test/conformance/examples");
const sub = demoSubscriptions.contosoMedia.id;

interface Given {
  method: string;
  /** Relative to the account ("" is the account), or from the subscription when it starts with "/". */
  path: string;
  body?: unknown;
  apiVersion?: string;
  /** Poll the operation this given started until it ends. */
  wait?: boolean;
}
interface Step {
  example: string;
  method: string;
  /** The spec's path template, `{name}` filled from the example's parameters. */
  path: string;
  given?: Given[];
  query?: Record<string, string>;
  except?: Record<string, string>;
  refused?: { status: number; code: string; target?: string; why: string; at?: number };
  notRouted?: { why: string };
  fault?: Record<string, unknown>;
  rename?: Record<string, string>;
  among?: string;
}
interface Replay {
  source: { repo: string; folder: string; commits: Record<string, string>; trimmed?: string[] };
  /** The body each step's account is created with (false: the steps make their own). */
  account?: Record<string, unknown> | false;
  /** ARM resources the folder's accounts need, created once in the emulator (an identity granted a vault's keys). */
  arm?: { path: string; body: unknown; grantKeysIn?: string }[];
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
  if (expected === null) return actual === null ? [] : [`${at}: expected null, got ${JSON.stringify(actual)}`];
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
  if (expected === "$ignored$") return [];
  if (typeof actual !== typeof expected) return [`${at}: expected a ${typeof expected}, got ${JSON.stringify(actual)}`];
  // Who made or changed a resource is the caller (here a demo user), not the example's.
  if (/\.(createdBy|lastModifiedBy)$/.test(at)) return actual ? [] : [`${at}: expected the caller, got ""`];
  if (typeof expected !== "string")
    return actual === expected ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
  const value = actual as string;
  if (isoDate.test(expected)) return isoDate.test(value) ? [] : [`${at}: expected a date, got ${value}`];
  // GUIDs are generated (and written lower-case); ARM ids compare without case.
  const shape = new RegExp(`^${escape(expected).replace(new RegExp(guid, "g"), guid)}$`, at.endsWith(".id") ? "i" : "");
  return shape.test(value) ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(value)}`];
}

/** The example's subscription, resource group and account, as path segments or whole values, replaced by ours. */
function substitute(value: unknown, from: string[], to: string[]): unknown {
  let text = JSON.stringify(value);
  from.forEach(
    (f, i) =>
      (text = text
        .replaceAll(`/${f}/`, `/${to[i]}/`)
        .replace(new RegExp(`/${escape(f)}"`, "g"), `/${to[i]}"`)
        .replaceAll(`"${f}"`, `"${to[i]}"`)),
  );
  return JSON.parse(text);
}

const isArmError = (json: unknown) => {
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof error?.code === "string" && typeof error.message === "string";
};

/** replay.json's `{subscriptionId}`, `{resourceGroupName}` and `{vault:<name>}` as this suite's. */
const ours = <T>(value: T): T =>
  JSON.parse(
    JSON.stringify(value)
      .replaceAll("{subscriptionId}", sub)
      .replaceAll("{resourceGroupName}", demoResourceGroup)
      .replace(/\{vault:([\w-]+)\}/g, (_, name: string) => env().emu.vaultUrl(name)),
  ) as T;

/** The items of the example's list found by name in ours (a list the whole suite shares), in the example's order. */
function amongOurs(expected: unknown, actual: unknown): unknown {
  const named = (v: unknown) => ((v as { value?: { name?: string }[] } | undefined)?.value ?? []).map((i) => i.name);
  const items = (actual as { value?: { name?: string }[] } | undefined)?.value ?? [];
  return { ...(actual as object), value: named(expected).map((n) => items.find((i) => i.name === n) ?? null) };
}

/** Until the operation a reply names (Azure-AsyncOperation) has ended. */
async function ended(res: ArmReply): Promise<void> {
  const status = res.headers.get("Azure-AsyncOperation");
  assert.ok(status, "the given started no operation");
  const url = new URL(status);
  for (let i = 0; i < 200; i++) {
    const polled = await call("GET", url.pathname + url.search);
    if ((polled.json as { status?: string }).status !== "InProgress") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`the operation ${url.pathname} did not end`);
}

const folders = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory());

const { call, env } = armApiPerFile();

for (const folder of folders) {
  const dir = path.join(root, folder.name);
  const replay = JSON.parse(readFileSync(path.join(dir, "replay.json"), "utf8")) as Replay;
  const prefix = `c${folder.name.replace(/[^a-z0-9]/g, "")}`.slice(0, 18);
  const count = (kind: (s: Step) => boolean) => replay.replay.filter(kind).length;
  const replayed = count((s) => !s.refused && !s.notRouted);
  const title = `the spec's examples: ${replay.source.folder} (${replayed} replayed, ${count((s) => !!s.refused)} refused by design, ${count((s) => !!s.notRouted)} not routed)`;

  describe(title, () => {
    before(async () => {
      for (const resource of replay.arm ?? []) {
        const res = await env().emu.armFetch("PUT", ours(resource.path), resource.body);
        assert.ok(res.status < 300, `ARM PUT ${resource.path}: ${JSON.stringify(res.json)}`);
        const principalId = (res.json as { properties?: { principalId?: string } }).properties?.principalId;
        if (resource.grantKeysIn) await env().emu.grantKeys(resource.grantKeysIn, principalId!);
      }
    });

    it("keeps where each example came from, and replays or lists every one once", () => {
      const files = readdirSync(dir).filter((f) => f !== "replay.json");
      assert.deepEqual(files.sort(), Object.keys(replay.source.commits).sort());
      assert.deepEqual(replay.replay.map((s) => s.example).sort(), files.sort(), "every example is in the replay once");
      for (const f of replay.source.trimmed ?? []) {
        const step = replay.replay.find((s) => s.example === f)!;
        assert.ok(
          step.refused || step.notRouted || step.except?.body,
          `${f} is trimmed, so it must be refused, not routed, or have its whole body excepted`,
        );
      }
    });

    replay.replay.forEach((step, index) => {
      const kind = step.refused
        ? `refused by design: ${step.refused.why}`
        : step.notRouted
          ? `not routed: ${step.notRouted.why}`
          : "replayed";
      it(`${step.example} (${kind})`, async () => {
        const example = JSON.parse(readFileSync(path.join(dir, step.example), "utf8")) as Example;
        const p = example.parameters;
        const account = `${prefix}${index}`;
        const accountPath = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${account}`;
        if (replay.account !== false) {
          const created = await call("PUT", `${accountPath}?api-version=2023-01-01`, {
            location: "westus2",
            ...ours(replay.account ?? {}),
          });
          assert.ok([200, 201].includes(created.status), JSON.stringify(created.json));
        }
        const names: Record<string, string> = {
          subscriptionId: sub,
          resourceGroupName: demoResourceGroup,
          accountName: account,
        };
        const version = String(p["api-version"]);
        if (step.fault) await env().emu.admin("POST", "faults", step.fault);

        const createdOf: Record<string, string> = {};
        for (const [i, g] of (step.given ?? []).entries()) {
          const target = g.path.startsWith("/")
            ? `/subscriptions/${sub}${ours(g.path)}`
            : `${accountPath}${g.path && `/${g.path}`}`;
          const res = await call(g.method, `${target}?api-version=${g.apiVersion ?? version}`, ours(g.body));
          if (step.refused?.at === i) return assertRefused(res, step.refused);
          assert.ok(res.status < 300, `given ${g.method} ${g.path}: ${res.status} ${JSON.stringify(res.json)}`);
          const created = (res.json as { properties?: { created?: string } } | undefined)?.properties?.created;
          if (created) createdOf[g.path] = created;
          const operation = /\/locations\/([^/]+)\/mediaServicesOperationStatuses\/([^/?]+)/.exec(
            res.headers.get("Azure-AsyncOperation") ?? "",
          );
          if (operation) [names.locationName, names.operationId] = [operation[1]!, operation[2]!];
          if (g.wait) await ended(res);
        }
        // The example's names (resourceGroup is the older examples' name of the parameter), then `rename`'s.
        const pairs = [
          ...Object.entries(names).map(([k, v]) => [
            p[k] ?? (k === "resourceGroupName" ? p.resourceGroup : undefined),
            v,
          ]),
          ...Object.entries(ours(step.rename ?? {})),
        ].filter((pair): pair is [string, string] => typeof pair[0] === "string");
        const from = pairs.map(([f]) => f);
        const to = pairs.map(([, t]) => t);
        assert.equal(step.refused?.at, undefined, "the refused given was not refused");

        const query = new URLSearchParams({ "api-version": version });
        for (const [k, v] of Object.entries(p)) if (k.startsWith("$")) query.set(k, String(v));
        for (const [k, v] of Object.entries(step.query ?? {}))
          query.set(
            k,
            v.replace(
              /\{created:([^}]+)\}/g,
              (_, at: string) => createdOf[at] ?? assert.fail(`nothing created at ${at}`),
            ),
          );
        const url =
          step.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(names[name] ?? String(p[name]))) +
          `?${query}`;
        const bodyParam = Object.entries(p).find(([, v]) => typeof v === "object" && v !== null)?.[1];
        const res = await call(step.method, url, bodyParam === undefined ? undefined : substitute(bodyParam, from, to));

        if (step.refused) return assertRefused(res, step.refused);
        if (step.notRouted) {
          assert.ok([404, 405].includes(res.status), `${res.status}: ${JSON.stringify(res.json)}`);
          assert.ok(isArmError(res.json), `ARM's error JSON: ${JSON.stringify(res.json)}`);
          if (res.status === 405) assert.ok(res.headers.get("Allow"), "405 names what is allowed");
          return;
        }
        const statuses = Object.keys(example.responses);
        assert.ok(
          statuses.includes(String(res.status)),
          `status ${res.status} not in ${statuses.join(", ")}: ${JSON.stringify(res.json)}`,
        );
        const expected = example.responses[String(res.status)]!;
        for (const header of Object.keys(expected.headers ?? {}))
          if (["azure-asyncoperation", "location"].includes(header.toLowerCase()))
            assert.ok(res.headers.get(header), `${header} header`);
        if (expected.body !== undefined) {
          // An `except` path may write [*] for every item of a list.
          const excepted = (d: string) =>
            Object.keys(step.except ?? {}).some((at) => {
              const path = d.replace(/\[\d+\]/g, (i) => (at.includes("[*]") ? "[*]" : i));
              return path.startsWith(`${at}:`) || path.startsWith(`${at}.`);
            });
          const body = substitute(expected.body, from, to);
          const found = differences(body, step.among ? amongOurs(body, res.json) : res.json).filter(
            (d) => !excepted(d),
          );
          assert.deepEqual(found, []);
        }
      });
    });
  });
}

function assertRefused(res: ArmReply, refused: NonNullable<Step["refused"]>) {
  const error = (res.json as { error?: { code: string; target?: string } } | undefined)?.error;
  assert.equal(res.status, refused.status, JSON.stringify(res.json));
  assert.equal(error?.code, refused.code, JSON.stringify(res.json));
  if (refused.target) assert.equal(error?.target, refused.target, JSON.stringify(res.json));
}
