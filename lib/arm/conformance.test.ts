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
 *   example's history (`{created:<path>}` is the `created` of a resource the step made). An
 *   `except` naming one item of a list (`…contentKeys[1]`) leaves that item out: the answer's
 *   list is the example's others, in order, and paths keep the example's indices. `shape`
 *   names values compared by type only, and why. `omit` leaves parts of the example's request out
 *   (paths from `body`, with why) and `add` is merged into it: what a predefined policy needs
 *   that the example's custom one did not (a locator's defaultContentKeyPolicyName).
 * - A given with the path "" is the step's account itself; `wait` polls the operation it started
 *   (Azure-AsyncOperation) until it ends. The last operation a given started fills `{operationId}`
 *   and `{locationName}` of the step's path. `fault` is injected into the emulator's Key Vault
 *   before the givens (an operation still running when the step reads it). `rename` maps other
 *   literal values of the example to ours: a second subscription, and the example's custom
 *   streaming policies (clearStreamingPolicy, secureStreamingPolicy) and their key labels to the
 *   predefined policy the given locator has. `among`: a list the whole suite shares (the accounts
 *   of a subscription) or that is in another order, so each of the example's items is found by
 *   name in it. `subset`: the answer is a part of the example's list (the operations offered), so
 *   each of its items is compared with the example's of that name. A given with `files` writes
 *   those (empty) files into the asset at its path, as an encoding's output: no ARM request does.
 *   In replay.json `{vault:<name>}` is the URL of an emulator vault.
 * - `refused`: a feature this service refuses by design: the request (or the given at index `at`)
 *   gets that status and code.
 * - `notRouted`: an operation this service does not offer: the answer is ARM's JSON error (404, or
 *   405 with Allow).
 *
 * Every example runs against an account of its own, so lists see what their step made and nothing
 * else. A file left `trimmed` in replay.json keeps the example's request and status codes only: its
 * response is never compared (the example is refused or not routed); for a `subset` step it keeps
 * the example's items of the operations this service offers, the others left out.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { createHash } from "node:crypto";
import { findAccount } from "@/lib/accounts/store";
import { db } from "@/lib/db/client";
import { demoResourceGroup, demoSubscriptions } from "@/lib/demo/directory";
import { writeAssetFiles } from "@/lib/media/store";
import { armApiPerFile, type ArmReply } from "@/test/support/arm-client";

const root = path.join(process.cwd(), "test/conformance/examples");
const sub = demoSubscriptions.contosoMedia.id;

interface Given {
  /** Absent with `files`. */
  method?: string;
  /** Relative to the account ("" is the account), or from the subscription when it starts with "/". */
  path: string;
  body?: unknown;
  apiVersion?: string;
  /** Poll the operation this given started until it ends. */
  wait?: boolean;
  /** Files written into the asset at `path` (empty), as an encoding job writes its output: no ARM request does. */
  files?: string[];
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
  /** Parts of the example's request body this service refuses (paths from `body`), left out, and why. */
  omit?: Record<string, string>;
  /** Merged into the example's request body: what this service needs that the example leaves to a custom policy. */
  add?: Record<string, unknown>;
  /** Values compared by their type only, and why. */
  shape?: Record<string, string>;
  /**
   * The answer lists a part of the example's list: each of its items is compared with the
   * example's of that name; `ours` names the items the example has not, and why.
   */
  subset?: { why: string; ours?: Record<string, string> };
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

/** What a comparison leaves aside: items of the example's lists this service cannot make, values compared by type only. */
export interface Leave {
  /** An item of the example's list (by its path, the example's index): the answer's list is the others, in order. */
  item?: (at: string) => boolean;
  /** A value compared by its type only. */
  shape?: (at: string) => boolean;
}

/** Where `actual` departs from `expected`: each missing property, wrong type or different value, by its path (the example's). */
export function differences(expected: unknown, actual: unknown, at = "body", leave: Leave = {}): string[] {
  if (expected === null) return actual === null ? [] : [`${at}: expected null, got ${JSON.stringify(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array`];
    const kept = expected.map((e, i) => [e, `${at}[${i}]`] as const).filter(([, p]) => !leave.item?.(p));
    if (actual.length !== kept.length) return [`${at}: expected ${kept.length} items, got ${actual.length}`];
    return kept.flatMap(([e, p], j) => differences(e, actual[j], p, leave));
  }
  if (typeof expected === "object") {
    if (typeof actual !== "object" || actual === null || Array.isArray(actual)) return [`${at}: expected an object`];
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) =>
      k in actual
        ? differences(v, (actual as Record<string, unknown>)[k], `${at}.${k}`, leave)
        : [`${at}.${k}: missing`],
    );
  }
  if (expected === "$ignored$") return [];
  if (typeof actual !== typeof expected) return [`${at}: expected a ${typeof expected}, got ${JSON.stringify(actual)}`];
  if (leave.shape?.(at)) return [];
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

/** Whether a path (`body.value[2].name`) is one of these, or under one; `[*]` in one stands for any index. */
const under = (paths: string[], d: string, exactly = false) =>
  paths.some((at) => {
    const p = d.replace(/\[\d+\]/g, (i) => (at.includes("[*]") ? "[*]" : i));
    return exactly ? p === at : p === at || p.startsWith(`${at}.`) || p.startsWith(`${at}[`);
  });

/** The request body without the `omit`ted parts (paths from `body`), then with `add` merged in. */
function adjusted(body: unknown, omit: string[], add: unknown): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  // Later items first, so that the earlier indices still name the example's items.
  for (const at of [...omit].sort().reverse()) {
    const keys = at.replace(/^body\.?/, "").match(/[^.[\]]+/g) ?? [];
    const last = keys.pop()!;
    const owner = keys.reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, copy);
    if (Array.isArray(owner)) owner.splice(Number(last), 1);
    else delete owner[last];
  }
  const merge = (into: Record<string, unknown>, from: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(from))
      if (v && typeof v === "object" && !Array.isArray(v) && into[k] && typeof into[k] === "object")
        merge(into[k] as Record<string, unknown>, v as Record<string, unknown>);
      else into[k] = v;
  };
  if (add) merge(copy, add as Record<string, unknown>);
  return copy;
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

/** The items of the example's list (`value`, or its one list) found by name in ours, in the example's order. */
function amongOurs(expected: unknown, actual: unknown): unknown {
  const key = Object.keys(expected as object).find((k) => Array.isArray((expected as Record<string, unknown>)[k]));
  if (!key) return actual;
  const items = (v: unknown) => (v as Record<string, { name?: string }[]> | undefined)?.[key] ?? [];
  return {
    ...(actual as object),
    [key]: items(expected).map((e) => items(actual).find((i) => i.name === e.name) ?? null),
  };
}

/** The example's items our list has (by name, in our order); an item the example lacks is reported by name. */
function ofOurs(
  expected: unknown,
  actual: unknown,
  own: Record<string, string> = {},
): { expected: unknown; actual: unknown; unknown: string[] } {
  const items = (v: unknown) => (v as { value?: { name?: string }[] } | undefined)?.value ?? [];
  const theirs = items(expected);
  const listed = items(actual).filter((i) => !(String(i.name) in own));
  const found = listed.map(
    (i) => [i.name, theirs.find((e) => e.name?.toLowerCase() === i.name?.toLowerCase())] as const,
  );
  const missing = Object.keys(own).filter((n) => !items(actual).some((i) => i.name === n));
  return {
    expected: { ...(expected as object), value: found.map(([, e]) => e ?? null) },
    actual: { ...(actual as object), value: listed },
    unknown: [
      ...found.filter(([, e]) => !e).map(([n]) => `body.value: ${String(n)} is not in the example`),
      ...missing.map((n) => `body.value: ${n} (ours) is not listed`),
    ],
  };
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
          step.refused || step.notRouted || step.except?.body || step.subset,
          `${f} is trimmed, so it must be refused, not routed, a subset, or have its whole body excepted`,
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
          if (g.files) {
            await writeFiles(account, g.path.replace(/^assets\//, ""), g.files);
            continue;
          }
          const target = g.path.startsWith("/")
            ? `/subscriptions/${sub}${ours(g.path)}`
            : `${accountPath}${g.path && `/${g.path}`}`;
          const res = await call(g.method!, `${target}?api-version=${g.apiVersion ?? version}`, ours(g.body));
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
        const sent =
          bodyParam === undefined
            ? undefined
            : adjusted(substitute(bodyParam, from, to), Object.keys(step.omit ?? {}), step.add && ours(step.add));
        const res = await call(step.method, url, sent);

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
          const except = Object.keys(step.except ?? {});
          const leave: Leave = {
            // An `except` naming one item of a list ([n]) leaves it out; [*] excepts what each item holds, not the count.
            item: (p) =>
              under(
                except.filter((at) => /\[\d+\]$/.test(at)),
                p,
                true,
              ),
            shape: (p) => under(Object.keys(step.shape ?? {}), p),
          };
          const body = substitute(expected.body, from, to);
          const subset = step.subset ? ofOurs(body, res.json, step.subset.ours) : null;
          if (subset) assert.ok((res.json as { value?: unknown[] }).value?.length, "the list has items");
          const found = [
            ...(subset?.unknown ?? []),
            ...differences(
              subset?.expected ?? body,
              subset?.actual ?? (step.among ? amongOurs(body, res.json) : res.json),
              "body",
              leave,
            ),
          ].filter((d) => !under(except, d.slice(0, d.indexOf(":"))));
          assert.deepEqual(found, []);
        }
      });
    });
  });
}

async function writeFiles(account: string, asset: string, names: string[]) {
  const found = await findAccount({ subscriptionId: sub, resourceGroup: demoResourceGroup, name: account });
  const files = names.map((name) => ({
    name,
    size: 0,
    sha256: createHash("sha256").digest("hex"),
    content: Buffer.alloc(0),
  }));
  await db().$transaction((tx) => writeAssetFiles({ accountId: found!.id, assetNames: [asset], files }, tx));
}

function assertRefused(res: ArmReply, refused: NonNullable<Step["refused"]>) {
  const error = (res.json as { error?: { code: string; target?: string } } | undefined)?.error;
  assert.equal(res.status, refused.status, JSON.stringify(res.json));
  assert.equal(error?.code, refused.code, JSON.stringify(res.json));
  if (refused.target) assert.equal(error?.target, refused.target, JSON.stringify(res.json));
}
