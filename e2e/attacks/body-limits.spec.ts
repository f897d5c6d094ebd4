/**
 * Attacks with oversized request bodies sent straight to the portal (the built app, not through
 * ARM): the REST API answers 413 with ARM's error JSON whether the size is declared or the body
 * comes chunked, refuses an anonymous caller before reading, and a server action over its 64 KiB
 * limit is refused before the action runs.
 */
import { once } from "node:events";
import http from "node:http";
import { demoResourceGroup, demoSubscriptions, demoTenants, demoUsers } from "../../lib/demo/directory";
import { expect, test } from "../fixtures";
import { AccountsPage } from "../pages/account-page";
import { e2eStack } from "../stack";
import { mintToken } from "../tokens";

const MiB = 1024 * 1024;
const accountPath = (name: string) =>
  `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${demoResourceGroup}/providers/Microsoft.Media/mediaservices/${name}?api-version=2021-11-01`;
const owner = { oid: demoUsers.owner.objectId, tid: demoTenants.contoso.id, name: demoUsers.owner.name };

/** A valid account body padded with a long tag to about `size` bytes. */
const paddedAccount = (size: number) => Buffer.from(`{"location":"westus2","tags":{"padding":"${"x".repeat(size)}"}}`);

/** A PUT with a chunked body (no Content-Length) of about `size` bytes, written until the server answers. */
async function putChunked(path: string, token: string, size: number): Promise<{ status: number; json: unknown }> {
  const req = http.request(new URL(path, e2eStack.baseURL), {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "transfer-encoding": "chunked" },
  });
  const answered = new Promise<http.IncomingMessage>((resolve) => req.once("response", resolve));
  req.on("error", () => {}); // the server may close the connection once it has answered
  let done = false;
  void answered.then(() => (done = true));
  const chunk = Buffer.alloc(64 * 1024, "x");
  req.write('{"location":"westus2","tags":{"padding":"');
  for (let sent = 0; sent < size && !done; sent += chunk.length) {
    if (!req.write(chunk)) await Promise.race([once(req, "drain"), answered]);
  }
  if (!done) req.end('"}}');
  const res = await answered;
  const text = Buffer.concat(await res.toArray()).toString("utf8");
  req.destroy();
  return { status: res.statusCode!, json: JSON.parse(text) };
}

test("attack: an 8 MiB account PUT sent straight to the portal gets 413 RequestEntityTooLarge", async ({
  request,
  uniqueName,
}) => {
  const name = uniqueName("big");
  const auth = { authorization: `Bearer ${await mintToken(owner)}` };
  const res = await request.put(accountPath(name), {
    headers: { ...auth, "content-type": "application/json" },
    data: paddedAccount(8 * MiB),
  });
  expect(res.status()).toBe(413);
  expect(await res.json()).toMatchObject({ error: { code: "RequestEntityTooLarge" } });
  expect((await request.get(accountPath(name), { headers: auth })).status()).toBe(404);
});

test("attack: a 5 MiB chunked account PUT without Content-Length is cut off and gets 413", async ({
  request,
  uniqueName,
}) => {
  const name = uniqueName("chunked");
  const token = await mintToken(owner);
  const res = await putChunked(accountPath(name), token, 5 * MiB);
  expect(res.status).toBe(413);
  expect(res.json).toMatchObject({ error: { code: "RequestEntityTooLarge" } });
  expect((await request.get(accountPath(name), { headers: { authorization: `Bearer ${token}` } })).status()).toBe(404);
});

test("attack: an anonymous 8 MiB PUT gets 401, not a read of its body", async ({ request, uniqueName }) => {
  const res = await request.put(accountPath(uniqueName("anon")), {
    headers: { "content-type": "application/json" },
    data: paddedAccount(8 * MiB),
  });
  expect(res.status()).toBe(401);
  expect(await res.json()).toMatchObject({ error: { code: "AuthenticationFailed" } });
});

test("attack: a server action padded past 64 KiB is refused and does not run, at 256 KiB as at 8 MiB", async ({
  page,
  uniqueName,
}) => {
  const accounts = new AccountsPage(page);
  await accounts.signIn(demoUsers.owner.upn);
  const auth = { authorization: `Bearer ${await mintToken(owner)}` };
  for (const [label, size] of [
    ["256 KiB", 256 * 1024],
    ["8 MiB", 8 * MiB],
  ] as const) {
    await accounts.goto();
    const name = uniqueName("pad");
    // The create form's own request, with one more multipart field that pads it to `size`.
    await page.route("**/accounts", async (route) => {
      const original = route.request();
      const boundary = /boundary=(.+)$/.exec(original.headers()["content-type"] ?? "")?.[1];
      if (original.method() !== "POST" || !boundary) return route.continue();
      const padding = Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="padding"\r\n\r\n${"x".repeat(size)}\r\n`,
      );
      await route.continue({ postData: Buffer.concat([padding, original.postDataBuffer()!]) });
    });
    const answer = page.waitForResponse(
      (r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/accounts",
    );
    await accounts.createAccount(name);
    // Next answers 500 past bodySizeLimit (413 is a TODO in its action handler); either refuses.
    expect([413, 500], label).toContain((await answer).status());
    await page.unroute("**/accounts");
    expect(
      (await page.request.get(accountPath(name), { headers: auth })).status(),
      `${label}: no account was created`,
    ).toBe(404);
  }
});
