/**
 * Streaming endpoints and the origin, through lib/ against the emulator and a real database: the
 * default endpoint and the state machine, an encoded asset published with Predefined_ClearKey
 * (segments AES-128 under the locator's content key, key lines naming key delivery and the kid)
 * and with Predefined_ClearStreamingOnly (clear), ranges and caching headers, a stopped endpoint
 * serving nothing, and 403 while the customer key is inaccessible, back when it returns.
 */
import assert from "node:assert/strict";
import { createDecipheriv, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoUsers, demoVaults } from "@/lib/demo/directory";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { encodedAssetFiles } from "@/test/support/encoded-fixture";
import { tokenPolicyBody } from "@/test/support/media-fixtures";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import * as monitor from "@/lib/monitor/check";
import * as monitorStore from "@/lib/monitor/store";
import { assets } from "@/test/support/media-api";
import { policies } from "@/test/support/media-api";
import * as store from "./store";
import * as endpointStore from "./streaming-endpoint-store";
import { streamingEndpoints as endpoints } from "@/test/support/media-api";
import { locators } from "@/test/support/media-api";
import * as origin from "./streaming-origin";

const owner = principalOf(demoUsers.owner);
const ref = contosoAccount("streaming");
const scope = { principal: owner, ref };
let env: AppEnvironment;
let accountId: string;
let principalId: string;
let endpointId: string;
let encryptedManifest: string;
let clearManifest: string;

const get = async (url: string, headers: Record<string, string> = {}) => {
  const { pathname } = new URL(url, "http://x");
  const [, , id, ...segments] = pathname.split("/");
  const res = await origin.serveStreaming(
    new Request(`http://localhost${pathname}`, { headers }),
    id!,
    segments.map(decodeURIComponent),
  );
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
};
const base = () => `/streaming/${endpointId}`;

async function check(): Promise<void> {
  assert.ok(await monitorStore.claimAccount("test", accountId, 60_000));
  await monitor.checkAccount(accountId, "test");
}

before(async () => {
  env = await startAppEnvironment();
  const account = await env.createCustomerKeyAccount(
    owner,
    ref.name,
    demoVaults.compliant.name,
    `${env.emu.vaultUrl(demoVaults.compliant.name)}/keys/rsa-2048`,
  );
  accountId = account.id;
  principalId = account.principalId!;
  await assets.putAssetFor(scope, "encoded", { properties: {} });
  const files = encodedAssetFiles("clip", 6);
  await db().$transaction((tx) => store.writeAssetFiles({ accountId, assetNames: ["encoded"], files }, tx));
  await policies.putContentKeyPolicyFor(scope, "signed", tokenPolicyBody(randomBytes(40)));
  await locators.putStreamingLocatorFor(scope, "enc", {
    properties: {
      assetName: "encoded",
      streamingPolicyName: "Predefined_ClearKey",
      defaultContentKeyPolicyName: "signed",
    },
  });
  await locators.putStreamingLocatorFor(scope, "clear", {
    properties: { assetName: "encoded", streamingPolicyName: "Predefined_ClearStreamingOnly" },
  });
  encryptedManifest = (await locators.listPathsFor(scope, "enc")).streamingPaths[0]!.paths[0]!;
  clearManifest = (await locators.listPathsFor(scope, "clear")).streamingPaths[0]!.paths[0]!;
});
after(async () => {
  await env?.dispose();
});

describe("streaming endpoints", () => {
  it("creates the default endpoint with the account, Stopped, and walks Stopped → Starting → Running → Stopping → Stopped", async () => {
    const [listed] = (await endpoints.listStreamingEndpointsFor(scope)) as unknown as {
      name: string;
      properties: { resourceState: string; hostName: string };
    }[];
    assert.equal(listed!.name, "default");
    assert.equal(listed!.properties.resourceState, "Stopped");
    const row = (await endpointStore.findStreamingEndpoint({ accountId, name: "DEFAULT" }))!;
    endpointId = row.id;
    assert.equal(listed!.properties.hostName, `localhost:3000/streaming/${row.id}`);

    assert.equal(await endpointStore.finishStart(row.id), false, "Stopped cannot finish starting");
    assert.equal(await endpointStore.beginStop(row.id), false, "Stopped cannot stop");
    assert.equal(await endpointStore.beginStart(row.id), true);
    assert.equal(
      (await endpointStore.findStreamingEndpoint({ accountId, name: "default" }))!.resourceState,
      "Starting",
    );
    assert.equal(await endpointStore.beginStart(row.id), false, "Starting does not start again");
    assert.equal(await endpointStore.finishStart(row.id), true);
    assert.equal(await endpointStore.beginStop(row.id), true);
    assert.equal(await endpointStore.finishStart(row.id), false, "Stopping cannot become Running");
    assert.equal(await endpointStore.finishStop(row.id), true);
    assert.equal((await endpointStore.findStreamingEndpoint({ accountId, name: "default" }))!.resourceState, "Stopped");

    const created = await endpoints.putStreamingEndpointFor(scope, "second", {
      location: "West US 2",
      properties: { scaleUnits: 1 },
    });
    assert.equal(created.created, true);
    await endpoints.startStreamingEndpointFor(scope, "second");
    assert.equal(
      (
        (await endpoints.getStreamingEndpointFor(scope, "second")) as unknown as {
          properties: { resourceState: string };
        }
      ).properties.resourceState,
      "Running",
    );
    assert.equal(
      await endpoints.deleteStreamingEndpointFor(scope, "second"),
      true,
      "a running endpoint is stopped, then deleted",
    );
    assert.equal(await endpoints.deleteStreamingEndpointFor(scope, "second"), false);
    await assert.rejects(endpoints.putStreamingEndpointFor(scope, "far", { location: "East US" }), /region/);
    // Settings the origin cannot honour are refused, naming the field, not stored and ignored.
    for (const [body, field] of [
      [{ properties: { cdnEnabled: true } }, "cdnEnabled"],
      [{ properties: { accessControl: { akamai: null } } }, "accessControl"],
    ] as const)
      await assert.rejects(endpoints.putStreamingEndpointFor(scope, "unhonoured", body), (err: Error) => {
        assert.match(`${err.message} ${JSON.stringify(err)}`, new RegExp(field));
        return true;
      });
    assert.equal(await endpoints.deleteStreamingEndpointFor(scope, "unhonoured"), false, "nothing was created");
  });

  it("serves nothing while Stopped", async () => {
    const res = await get(`${base()}${encryptedManifest}`);
    assert.equal(res.status, 404);
    assert.match(res.body.toString(), /StreamingEndpointNotRunning/);
    await endpoints.startStreamingEndpointFor(scope, "default");
  });

  it("serves the ClearKey locator encrypted with its content key, and the clear locator clear, from one packaging", async () => {
    assert.match(encryptedManifest, /^\/[0-9a-f-]{36}\/clip\.ism\/manifest\(format=m3u8-cmaf,encryption=cbc\)$/);
    const master = await get(`${base()}${encryptedManifest}`);
    assert.equal(master.status, 200);
    assert.equal(master.headers.get("content-type"), "application/vnd.apple.mpegurl");
    assert.equal(master.headers.get("access-control-allow-origin"), "*");
    assert.match(master.headers.get("cache-control")!, /max-age=2\b/);
    assert.equal(master.body.toString().match(/#EXT-X-STREAM-INF/g)?.length, 2);
    assert.match(master.body.toString(), /BANDWIDTH=364000,RESOLUTION=320x180,CODECS="avc1\.64001e,mp4a\.40\.2"/);

    const mediaUrl = `${base()}${encryptedManifest.replace(/manifest\(.*$/, "")}r0/index.m3u8`;
    const playlist = (await get(mediaUrl)).body.toString();
    const { contentKeys } = await locators.listContentKeysFor(scope, "enc");
    const { id: kid, value } = contentKeys[0] as { id: string; value: string };
    const keyLines = playlist.match(/^#EXT-X-KEY:.*$/gm)!;
    assert.equal(keyLines.length, 3, "6 s in 2 s segments, one key line each");
    assert.equal(
      keyLines[1],
      `#EXT-X-KEY:METHOD=AES-128,URI="${getConfig().keyDelivery.publicUrl}/keydelivery/${accountId}?kid=${kid}",IV=0x${"0".repeat(31)}1`,
      "players fetch keys from the key-delivery listener, not the portal's route",
    );
    assert.notEqual(getConfig().keyDelivery.publicUrl, getConfig().publicUrl, "the listener has an address of its own");

    const encrypted = await get(mediaUrl.replace("index.m3u8", "seg_1.ts"));
    const clear = await get(`${base()}${clearManifest.replace(/manifest\(.*$/, "")}r0/seg_1.ts`);
    assert.equal(clear.status, 200);
    assert.equal(clear.body[0], 0x47, "a clear segment is MPEG-TS (sync byte)");
    assert.notEqual(encrypted.body[0], 0x47);
    assert.equal(encrypted.headers.get("cache-control"), "public, max-age=31536000, immutable");
    const iv = Buffer.alloc(16);
    iv[15] = 1;
    const decipher = createDecipheriv("aes-128-cbc", Buffer.from(value, "base64"), iv);
    assert.ok(
      Buffer.concat([decipher.update(encrypted.body), decipher.final()]).equals(clear.body),
      "AES-128-CBC of the clear segment",
    );
    assert.equal(
      (await get(`${base()}${clearManifest.replace(/manifest\(.*$/, "")}r0/index.m3u8`)).body
        .toString()
        .includes("EXT-X-KEY"),
      false,
    );

    const ranged = await get(mediaUrl.replace("index.m3u8", "seg_1.ts"), { range: "bytes=16-31" });
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers.get("content-range"), `bytes 16-31/${encrypted.body.length}`);
    assert.ok(ranged.body.equals(encrypted.body.subarray(16, 32)));
    assert.equal((await get(mediaUrl.replace("index.m3u8", "seg_1.ts"), { range: "bytes=99999999-" })).status, 416);
    assert.equal((await get(mediaUrl.replace("index.m3u8", "seg_9.ts"))).status, 404);
    assert.equal((await get(`${base()}${encryptedManifest.replace("m3u8-cmaf", "mpd-time-cmaf")}`)).status, 400);
  });

  it("refuses with 403 and the reason while the customer key is inaccessible, and serves again once it returns", async () => {
    await env.emu.revokeKeys(demoVaults.compliant.name, principalId);
    await check();
    const refused = await get(`${base()}${encryptedManifest}`);
    assert.equal(refused.status, 403);
    assert.equal(JSON.parse(refused.body.toString()).error.code, "CustomerKeyInaccessible");
    assert.equal(refused.headers.get("cache-control"), "no-store");
    assert.equal(
      (await get(`${base()}${clearManifest.replace(/manifest\(.*$/, "")}r0/seg_0.ts`)).status,
      403,
      "clear streams too",
    );
    await env.emu.grantKeys(demoVaults.compliant.name, principalId);
    await check();
    assert.equal((await get(`${base()}${encryptedManifest}`)).status, 200);
  });
});
