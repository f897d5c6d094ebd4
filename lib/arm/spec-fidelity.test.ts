/**
 * Where the API follows Microsoft.Media's specification beyond the happy path: the operations list,
 * checkNameAvailability, the predefined streaming policies, lists that page ($top, @odata.nextLink,
 * $filter, $orderby), validation errors that list each field, asset PATCH as a merge, the shapes
 * of content key policies and locators. Through the route handler, against the emulator.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";
import { armApiPerFile } from "@/test/support/arm-client";
import { jobBody, transformBody } from "@/test/support/media-fixtures";

const sub = demoSubscriptions.contosoMedia.id;
const accounts = `/subscriptions/${sub}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices`;
const account = `${accounts}/fidelity`;
const v = "api-version=2022-08-01";

type ArmError = { error: { code: string; message: string; target?: string; details?: { target: string }[] } };
type List = { value: { name: string; properties: Record<string, unknown> }[]; "@odata.nextLink"?: string };

const { call } = armApiPerFile(demoUsers.owner, async (call) => {
  const created = await call("PUT", `${account}?api-version=2021-11-01`, { location: "westus2" });
  assert.equal(created.status, 201, JSON.stringify(created.json));
});

describe("operations the spec defines", () => {
  it("lists the provider's operations, each named as RBAC names it", async () => {
    const res = await call("GET", "/providers/Microsoft.Media/operations?api-version=2023-01-01");
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const names = (res.json as { value: { name: string; display: { provider: string } }[] }).value.map((o) => o.name);
    for (const name of [
      "Microsoft.Media/mediaservices/read",
      "Microsoft.Media/mediaservices/assets/write",
      "Microsoft.Media/mediaservices/streamingLocators/listContentKeys/action",
      "Microsoft.Media/mediaservices/transforms/jobs/read",
      "Microsoft.Media/mediaservices/streamingPolicies/read",
    ])
      assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
  });

  it("checks a name: taken in the subscription, free, or invalid", async () => {
    const check = async (name: string) =>
      (
        await call(
          "POST",
          `/subscriptions/${sub}/providers/Microsoft.Media/locations/westus2/checkNameAvailability?api-version=2023-01-01`,
          { name, type: "Microsoft.Media/mediaservices" },
        )
      ).json as { nameAvailable: boolean; reason: string };
    assert.deepEqual(
      { ...(await check("fidelity")), message: undefined },
      { nameAvailable: false, reason: "AlreadyExists", message: undefined },
    );
    assert.deepEqual(await check("freename42"), { nameAvailable: true, reason: "None", message: "" });
    assert.equal((await check("Not-Valid!")).reason, "Invalid");
  });
});

describe("streaming policies", () => {
  it("lists and gets the predefined ones; a custom one is refused with its own code", async () => {
    const list = (await call("GET", `${account}/streamingPolicies?${v}`)).json as List;
    assert.deepEqual(
      list.value.map((p) => p.name),
      [
        "Predefined_ClearKey",
        "Predefined_ClearStreamingOnly",
        "Predefined_DownloadAndClearStreaming",
        "Predefined_DownloadOnly",
      ],
    );
    const clear = await call("GET", `${account}/streamingPolicies/predefined_clearstreamingonly?${v}`);
    assert.equal(clear.status, 200);
    assert.deepEqual((clear.json as { properties: unknown }).properties, {
      created: (clear.json as { properties: { created: string } }).properties.created,
      noEncryption: { enabledProtocols: { download: false, dash: true, hls: true, smoothStreaming: false } },
    });
    const custom = await call("PUT", `${account}/streamingPolicies/mine?${v}`, {
      properties: {
        noEncryption: { enabledProtocols: { download: true, dash: true, hls: true, smoothStreaming: true } },
      },
    });
    assert.equal(custom.status, 400);
    assert.equal((custom.json as ArmError).error.code, "StreamingPolicyNotSupported");
    assert.equal((await call("GET", `${account}/streamingPolicies/mine?${v}`)).status, 404);
  });
});

describe("lists", () => {
  before(async () => {
    for (const name of ["a-one", "b-two", "c-three", "d-four", "e-five"]) {
      const res = await call("PUT", `${account}/assets/${name}?${v}`, { properties: { alternateId: name } });
      assert.equal(res.status, 201, JSON.stringify(res.json));
    }
  });

  it("pages with $top and @odata.nextLink, in order, each item once", async () => {
    const seen: string[] = [];
    let next: string | undefined = `${account}/assets?${v}&$top=2`;
    let pages = 0;
    while (next) {
      const page = (await call("GET", next)).json as List;
      assert.ok(page.value.length <= 2);
      seen.push(...page.value.map((a) => a.name));
      next = page["@odata.nextLink"];
      pages += 1;
    }
    assert.deepEqual(seen, ["a-one", "b-two", "c-three", "d-four", "e-five"]);
    assert.equal(pages, 3);
  });

  it("continues from a token after the item it ended on is deleted (a keyset, not an offset or a process's state)", async () => {
    const first = (await call("GET", `${account}/assets?${v}&$top=2&$orderby=name desc`)).json as List;
    assert.deepEqual(
      first.value.map((a) => a.name),
      ["e-five", "d-four"],
    );
    await call("DELETE", `${account}/assets/d-four?${v}`);
    const second = (await call("GET", first["@odata.nextLink"]!)).json as List;
    assert.deepEqual(
      second.value.map((a) => a.name),
      ["c-three", "b-two"],
    );
    await call("PUT", `${account}/assets/d-four?${v}`, { properties: { alternateId: "d-four" } });
  });

  it("filters by name and by created, as the spec's examples do", async () => {
    const byName = (await call("GET", `${account}/assets?${v}&$filter=${encodeURIComponent("name eq 'C-THREE'")}`))
      .json as List;
    assert.deepEqual(
      byName.value.map((a) => a.name),
      ["c-three"],
    );
    const after = (
      await call(
        "GET",
        `${account}/assets?${v}&$filter=${encodeURIComponent("properties/created gt 2012-06-01 and name ne 'a-one'")}&$orderby=properties/created`,
      )
    ).json as List;
    assert.equal(after.value.length, 4);
    const none = (
      await call("GET", `${account}/assets?${v}&$filter=${encodeURIComponent("properties/created lt 2012-06-01")}`)
    ).json as List;
    assert.deepEqual(none.value, []);
  });

  it("filters jobs by state written as the spec's examples write it, an OData enum literal in any case", async () => {
    const encoding = "api-version=2022-07-01";
    const transform = `${account}/transforms/bystate`;
    await call("PUT", `${transform}?${encoding}`, transformBody);
    await call("PUT", `${account}/assets/bystate-out?${v}`, { properties: {} });
    assert.equal((await call("PUT", `${transform}/jobs/waiting?${encoding}`, jobBody("bystate-out"))).status, 201);
    const names = async (filter: string) => {
      const res = await call("GET", `${transform}/jobs?${encoding}&$filter=${encodeURIComponent(filter)}`);
      assert.equal(res.status, 200, `${filter}: ${JSON.stringify(res.json)}`);
      return (res.json as List).value.map((j) => j.name);
    };
    assert.deepEqual(await names("properties/state eq Microsoft.Media.JobState'scheduled'"), ["waiting"]);
    assert.deepEqual(await names("properties/state ne Microsoft.Media.JobState'Processing'"), ["waiting"]);
    assert.deepEqual(await names("properties/state eq 'Scheduled'"), ["waiting"]);
    assert.deepEqual(await names("properties/state ne 'NoSuchState'"), ["waiting"], "every job differs from it");
    assert.deepEqual(await names("properties/state eq 'NoSuchState'"), []);
  });

  it("refuses a filter on a field the spec does not define, a bad $top, and a forged token", async () => {
    for (const query of ["$filter=properties/container eq 'x'", "$top=0", "$skiptoken=bm90LWEtdG9rZW4"]) {
      const res = await call("GET", `${account}/assets?${v}&${query}`);
      assert.equal(res.status, 400, query);
      assert.equal((res.json as ArmError).error.code, "InvalidRequestContent");
    }
    const transforms = await call("GET", `${account}/transforms?api-version=2022-07-01&$top=1`);
    assert.equal(transforms.status, 400, "transforms' list defines no $top");
  });

  it("pages account lists too", async () => {
    const res = await call("GET", `${accounts}?api-version=2021-11-01`);
    assert.equal(res.status, 200);
    assert.ok((res.json as List).value.some((a) => a.name === "fidelity"));
  });
});

describe("shapes", () => {
  it("lists every bad field of a body in error.details", async () => {
    const res = await call("PUT", `${account}/assets/bad?${v}`, {
      properties: { alternateId: "x".repeat(2000), description: 42, container: "Not A Container" },
    });
    assert.equal(res.status, 400);
    const { error } = res.json as ArmError;
    assert.deepEqual(error.details?.map((d) => d.target).sort(), [
      "body.properties.alternateId",
      "body.properties.container",
      "body.properties.description",
    ]);
    assert.equal(error.target, error.details?.[0]?.target);
  });

  it("merges an asset PATCH into the asset (a property left out is kept)", async () => {
    await call("PUT", `${account}/assets/merge?${v}`, { properties: { alternateId: "alt", description: "before" } });
    const patched = await call("PATCH", `${account}/assets/merge?${v}`, { properties: { description: "after" } });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    const props = (patched.json as { properties: { alternateId?: string; description?: string } }).properties;
    assert.deepEqual([props.alternateId, props.description], ["alt", "after"]);
  });

  it("names the storage account an asset is kept in, and refuses another rather than ignoring it", async () => {
    // This account links no storage account: its assets are kept locally, and say so.
    const plain = await call("PUT", `${account}/assets/stored?${v}`, { properties: {} });
    assert.equal((plain.json as { properties: { storageAccountName: string } }).properties.storageAccountName, "local");
    const named = await call("PUT", `${account}/assets/stored?${v}`, { properties: { storageAccountName: "LOCAL" } });
    assert.equal(named.status, 200, JSON.stringify(named.json));
    const other = await call("PUT", `${account}/assets/elsewhere?${v}`, {
      properties: { storageAccountName: "storage0" },
    });
    assert.equal(other.status, 400, JSON.stringify(other.json));
    assert.equal((other.json as ArmError).error.target, "body.properties.storageAccountName");
    assert.equal((await call("GET", `${account}/assets/elsewhere?${v}`)).status, 404, "nothing was created");
  });

  it("shows a symmetric token key's keyValue empty on GET, and takes GUIDs in any hex form, lower-cased", async () => {
    const policy = await call("PUT", `${account}/contentKeyPolicies/sym?${v}`, {
      properties: {
        options: [
          {
            configuration: { "@odata.type": "#Microsoft.Media.ContentKeyPolicyClearKeyConfiguration" },
            restriction: {
              "@odata.type": "#Microsoft.Media.ContentKeyPolicyTokenRestriction",
              issuer: "urn:issuer",
              audience: "urn:audience",
              primaryVerificationKey: {
                "@odata.type": "#Microsoft.Media.ContentKeyPolicySymmetricTokenKey",
                keyValue: Buffer.alloc(32, 7).toString("base64"),
              },
              restrictionTokenType: "Jwt",
            },
          },
        ],
      },
    });
    assert.equal(policy.status, 201, JSON.stringify(policy.json));
    const got = (await call("GET", `${account}/contentKeyPolicies/sym?${v}`)).json as {
      properties: { options: { restriction: { primaryVerificationKey: { keyValue: string } } }[] };
    };
    assert.equal(got.properties.options[0]!.restriction.primaryVerificationKey.keyValue, "");

    const locator = await call("PUT", `${account}/streamingLocators/guids?${v}`, {
      properties: {
        assetName: "a-one",
        streamingPolicyName: "Predefined_ClearStreamingOnly",
        streamingLocatorId: "90000000-0000-0000-0000-00000000000A",
      },
    });
    assert.equal(locator.status, 201, JSON.stringify(locator.json));
    const props = (locator.json as { properties: { streamingLocatorId: string; endTime: string } }).properties;
    assert.equal(props.streamingLocatorId, "90000000-0000-0000-0000-00000000000a");
    assert.equal(props.endTime, "9999-12-31T23:59:59.9999999Z", "no end time shows as the spec's largest date");
  });
});
