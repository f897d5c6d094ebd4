/**
 * Attacks on the REST API with oversized request bodies, through its route handler in-process
 * (the emulator's Entra ID and a real database): the body is capped at ARM's 4 MiB, refused by its
 * declared size before anything is read or cut off while it streams in, and a caller who may not
 * write is refused before any of it is read.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoResourceGroup, demoSubscriptions, demoUsers } from "@/lib/demo/directory";
import { handleMediaApi } from "@/lib/arm/media-api";
import { startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

const MiB = 1024 * 1024;
const chunkSize = 64 * 1024;
const accountUrl = (name: string) =>
  `http://localhost/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${name}?api-version=2021-11-01`;

let env: AppEnvironment;
let ownerToken: string;
let readerToken: string;

/**
 * A valid account body of about `size` bytes (a long tag value), sent in 64 KiB chunks only as the
 * server reads them; `pulled` counts the bytes the server took.
 */
function streamedAccountBody(size: number) {
  const text = new TextEncoder().encode(`{"location":"westus2","tags":{"padding":"${"x".repeat(size)}"}}`);
  const counter = { pulled: 0 };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (counter.pulled >= text.length) return controller.close();
        const chunk = text.subarray(counter.pulled, counter.pulled + chunkSize);
        counter.pulled += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, counter, length: text.length };
}

function put(name: string, token: string | null, body: ReadableStream<Uint8Array>, contentLength?: number) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (contentLength !== undefined) headers["content-length"] = String(contentLength);
  return handleMediaApi(new Request(accountUrl(name), { method: "PUT", headers, body, duplex: "half" } as RequestInit));
}

async function accountExists(name: string) {
  const res = await handleMediaApi(
    new Request(accountUrl(name), { headers: { authorization: `Bearer ${ownerToken}` } }),
  );
  return res.status === 200;
}

before(async () => {
  env = await startAppEnvironment();
  ownerToken = await env.emu.userToken(demoUsers.owner);
  readerToken = await env.emu.userToken(demoUsers.reader);
});
after(async () => env?.dispose());

describe("attack: oversized request bodies on the REST API", () => {
  it("an 8 MiB account PUT with its Content-Length gets 413 RequestEntityTooLarge before any of it is read", async () => {
    const { body, counter, length } = streamedAccountBody(8 * MiB);
    const res = await put("bigdeclared", ownerToken, body, length);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "RequestEntityTooLarge");
    assert.equal(counter.pulled, 0, "refused by its declared size, unread");
    assert.equal(await accountExists("bigdeclared"), false);
  });

  it("a 5 MiB chunked account PUT without Content-Length is cut off at 4 MiB and gets 413", async () => {
    const { body, counter } = streamedAccountBody(5 * MiB);
    const res = await put("bigchunked", ownerToken, body);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "RequestEntityTooLarge");
    assert.ok(
      counter.pulled <= 4 * MiB + chunkSize,
      `read ${counter.pulled} bytes, no more than the cap and one chunk`,
    );
    assert.equal(await accountExists("bigchunked"), false);
  });

  it("an account PUT just under the cap is still read and created", async () => {
    const { body, length } = streamedAccountBody(4 * MiB - 1024);
    const res = await put("undercap", ownerToken, body, length);
    assert.equal(res.status, 201);
    assert.equal(await accountExists("undercap"), true);
  });

  it("an anonymous 8 MiB PUT gets 401 without its body being read", async () => {
    const { body, counter } = streamedAccountBody(8 * MiB);
    const res = await put("anonymous", null, body);
    assert.equal(res.status, 401);
    assert.equal(counter.pulled, 0);
  });

  it("a Reader's 8 MiB PUT gets 403 AuthorizationFailed without its body being read", async () => {
    const { body, counter } = streamedAccountBody(8 * MiB);
    const res = await put("readerput", readerToken, body);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "AuthorizationFailed");
    assert.equal(counter.pulled, 0);
  });
});
