/**
 * Lists page in the database (issues 12 and 17): a list longer than a page answers page-sized
 * responses whose `@odata.nextLink` walks every item once, in the order asked for, on the host the
 * caller used (the ARM front door's); and a request reads a bounded number of rows, whatever the
 * list's length (counted by the database client: rows returned to this process).
 */
import assert from "node:assert/strict";
import { getConfig } from "@/lib/config";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";
import { armApiPerFile, armClient, type ArmCall } from "@/test/support/arm-client";

const sub = demoSubscriptions.contosoMedia.id;
const provider = "providers/Microsoft.Media/mediaservices";
const account = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/${provider}/paging`;
const pagingGroup = `/subscriptions/${sub}/resourceGroups/paging-rg/${provider}`;
const v = "api-version=2022-08-01";
const ACCOUNTS = 1_003;
const ASSETS = 40;

type List = { value: { name: string; properties: Record<string, unknown> }[]; "@odata.nextLink"?: string };

/** Asset i: created at one of three times (ties), alternateId on every third left out (nulls). */
const assetName = (i: number) => `Asset-${String(i).padStart(3, "0")}`;
const createdOf = (i: number) => new Date(Date.UTC(2024, 0, 1 + (i % 3)));
const alternateOf = (i: number) => (i % 3 === 0 ? null : `alt-${(i * 7) % 11}`);

const lib = async () => ({
  db: (await import("@/lib/db/client")).db,
  rowsRead: (await import("@/lib/db/client")).databaseRowsRead,
});

const { env, call } = armApiPerFile(demoUsers.owner, async (call) => {
  const created = await call("PUT", `${account}?api-version=2021-11-01`, { location: "westus2" });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const { db } = await lib();
  const owner = await db().mediaAccount.findFirstOrThrow({ where: { nameKey: "paging" }, select: { id: true } });
  // Seeded directly: what the API would write, without the API's cost per row.
  await db().asset.createMany({
    data: Array.from({ length: ASSETS }, (_, i) => ({
      id: randomUUID(),
      accountId: owner.id,
      name: assetName(i),
      nameKey: assetName(i).toLowerCase(),
      container: `asset-${i}`,
      alternateId: alternateOf(i),
      createdAt: createdOf(i),
    })),
  });
  await db().mediaAccount.createMany({
    data: Array.from({ length: ACCOUNTS }, (_, i) => ({
      subscriptionId: sub,
      resourceGroup: i % 2 ? "paging-rg" : "Paging-Other",
      resourceGroupKey: i % 2 ? "paging-rg" : "paging-other",
      // Names repeat across the two groups: the keyset continues by group within a name.
      name: `pg${String(Math.floor(i / 2)).padStart(5, "0")}`,
      nameKey: `pg${String(Math.floor(i / 2)).padStart(5, "0")}`,
      location: "westus2",
    })),
  });
});

const inSubscription = async () => (await lib()).db().mediaAccount.count({ where: { subscriptionId: sub } });

/** The ARM ids of a list, following @odata.nextLink. */
async function walkIds(first: string) {
  const ids: string[] = [];
  for (let next: string | undefined = first; next;) {
    const page = (await call("GET", next)).json as { value: { id: string }[]; "@odata.nextLink"?: string };
    ids.push(...page.value.map((a) => a.id.toLowerCase()));
    next = page["@odata.nextLink"];
  }
  return ids;
}

/** Follows @odata.nextLink to the end: every page's size and the names in order. */
async function walk(via: ArmCall, first: string) {
  const sizes: number[] = [];
  const names: string[] = [];
  let next: string | undefined = first;
  while (next) {
    const res = await via("GET", next);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const page = res.json as List;
    sizes.push(page.value.length);
    names.push(...page.value.map((a) => a.name));
    next = page["@odata.nextLink"];
  }
  return { sizes, names };
}

describe("lists page in the database", () => {
  it("pages accounts by subscription and by resource group: 1,000 a page, each account once", async () => {
    const total = await inSubscription();
    assert.ok(total > ACCOUNTS);
    const bySubscription = await walk(call, `/subscriptions/${sub}/${provider}?api-version=2023-01-01`);
    assert.deepEqual(bySubscription.sizes, [1000, total - 1000]);
    const ids = await walkIds(`/subscriptions/${sub}/${provider}?api-version=2023-01-01`);
    assert.equal(new Set(ids).size, total, "each account once");
    const seeded = bySubscription.names.filter((n) => n.startsWith("pg"));
    assert.deepEqual(seeded, [...seeded].sort(), "by name");

    const byGroup = await walk(call, `${pagingGroup}?api-version=2021-11-01`);
    assert.deepEqual(byGroup.sizes, [Math.floor(ACCOUNTS / 2)]);
  });

  it("reads a page and one row per list request, not the list", async () => {
    const { rowsRead } = await lib();
    const read = async (path: string) => {
      const before = rowsRead();
      const res = await call("GET", path);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      return { rows: rowsRead() - before, json: res.json as List };
    };
    // What any request of this account reads besides the list (the caller's roles, the account).
    const one = await read(`${account}/assets/${assetName(1)}?${v}`);
    const page = await read(`${account}/assets?${v}&$top=5`);
    assert.equal(page.json.value.length, 5);
    assert.ok(page.rows <= one.rows + 5, `a page of 5 read ${page.rows} rows (a GET of one: ${one.rows})`);
    const next = await read(page.json["@odata.nextLink"]!);
    assert.ok(next.rows <= one.rows + 5, `the next page read ${next.rows} rows`);
    const firstAccounts = (await call("GET", `/subscriptions/${sub}/${provider}?api-version=2023-01-01`)).json as List;
    const lastAccounts = await read(firstAccounts["@odata.nextLink"]!);
    assert.equal(lastAccounts.json.value.length, (await inSubscription()) - 1000);
    assert.ok(lastAccounts.rows < 50, `the accounts' last page read ${lastAccounts.rows} rows, not ${ACCOUNTS}`);
  });

  it("orders by created and by a field with nulls across pages, ties by name, as one list would", async () => {
    const all = Array.from({ length: ASSETS }, (_, i) => i);
    const byCreatedDesc = [...all].sort(
      (a, b) => createdOf(b).getTime() - createdOf(a).getTime() || assetName(a).localeCompare(assetName(b)),
    );
    const created = await walk(call, `${account}/assets?${v}&$top=7&$orderby=properties/created desc`);
    assert.deepEqual(created.sizes, [7, 7, 7, 7, 7, 5]);
    assert.deepEqual(created.names, byCreatedDesc.map(assetName));

    for (const direction of ["asc", "desc"] as const) {
      const got = await walk(call, `${account}/assets?${v}&$top=4&$orderby=properties/alternateId ${direction}`);
      assert.equal(got.names.length, ASSETS, direction);
      assert.equal(new Set(got.names).size, ASSETS, `${direction}: each once`);
      const alternates = got.names.map((n) => alternateOf(Number(n.slice(-3))));
      const nulls = alternates.filter((a) => a === null).length;
      const [first, rest] =
        direction === "asc" ? [alternates.slice(0, nulls), alternates.slice(nulls)] : [alternates.slice(-nulls), []];
      assert.ok(
        first.every((a) => a === null),
        `${direction}: nulls ${direction === "asc" ? "first" : "last"}`,
      );
      const values = (direction === "asc" ? rest : alternates.slice(0, -nulls)) as string[];
      const sorted = [...values].sort();
      assert.deepEqual(values, direction === "asc" ? sorted : sorted.reverse(), direction);
    }
  });

  it("filters in the query, and pages what the filter keeps", async () => {
    const filter = encodeURIComponent("properties/created gt 2024-01-01T12:00:00Z and name ne 'ASSET-001'");
    const got = await walk(call, `${account}/assets?${v}&$top=10&$filter=${filter}`);
    const expected = Array.from({ length: ASSETS }, (_, i) => i)
      .filter((i) => i % 3 !== 0 && i !== 1)
      .map(assetName);
    assert.deepEqual(got.names, expected);
    assert.deepEqual(got.sizes, [10, 10, 5]);
  });

  it("links the next page on the host the request came in on: the ARM front door's, never a host the client names", async () => {
    const { handleMediaApi } = await import("@/lib/arm/media-api");
    const arm = new URL(getConfig().endpoints.armEndpoint);
    const through = (host: string) =>
      armClient(env(), demoUsers.owner, (request) => {
        const headers = new Headers(request.headers);
        headers.set("x-forwarded-host", host);
        headers.set("x-forwarded-proto", "https");
        return handleMediaApi(new Request(request, { headers }));
      });
    const page = (await (await through(arm.host))("GET", `${account}/assets?${v}&$top=3`)).json as List;
    const next = new URL(page["@odata.nextLink"]!);
    assert.equal(next.origin, arm.origin);
    assert.equal(next.pathname.toLowerCase(), `${account}/assets`.toLowerCase());
    assert.equal(next.searchParams.get("$top"), "3");
    const second = (await call("GET", `${next.pathname}${next.search}`)).json as List;
    assert.deepEqual(
      second.value.map((a) => a.name),
      [assetName(3), assetName(4), assetName(5)],
    );
    const forged = (await (await through("attacker.example"))("GET", `${account}/assets?${v}&$top=3`)).json as List;
    assert.notEqual(new URL(forged["@odata.nextLink"]!).host, "attacker.example", "a forged forwarded host is ignored");
  });
});
