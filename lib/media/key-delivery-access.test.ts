/**
 * Key delivery's IP access control (keyDelivery.accessControl, publicNetworkAccess): the decision,
 * the client address (from the socket, not from a header a player writes), and the whole path
 * over real loopback connections from two source addresses, 127.0.0.1 (allowed) and 127.0.0.2.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SignJWT } from "jose";
import { demoUsers } from "@/lib/demo/directory";
import { installClientAddress, resolveClientAddress } from "@/lib/net/client-address";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import {
  contentKeyIdClaim,
  mediaLib as lib,
  tokenAudience,
  tokenIssuer,
  tokenPolicyBody,
} from "@/test/support/media-fixtures";
import { keyDeliveryDecision } from "./key-delivery-access";

describe("the decision", () => {
  const open = { defaultAction: "Allow", ipAllowList: [], publicNetworkAccess: "Enabled" };
  const deny = {
    defaultAction: "Deny",
    ipAllowList: ["10.1.0.0/16", "192.0.2.7", "2001:db8::/32"],
    publicNetworkAccess: "Enabled",
  };
  it("allows every address by default, and only the allow list with Deny (addresses, CIDR ranges, IPv6, IPv4-mapped)", () => {
    assert.equal(keyDeliveryDecision(open, "198.51.100.1").allowed, true);
    assert.equal(keyDeliveryDecision(deny, "10.1.200.3").allowed, true);
    assert.equal(keyDeliveryDecision(deny, "::ffff:192.0.2.7").allowed, true);
    assert.equal(keyDeliveryDecision(deny, "2001:db8::1").allowed, true);
    assert.equal(keyDeliveryDecision(deny, "10.2.0.1").allowed, false);
    assert.equal(keyDeliveryDecision(deny, null).allowed, false, "no known address is not on the list");
  });
  it("with public network access disabled, allows only the allow list, whatever the default action", () => {
    const disabled = { ...open, publicNetworkAccess: "Disabled", ipAllowList: ["192.0.2.7"] };
    assert.equal(keyDeliveryDecision(disabled, "192.0.2.7").allowed, true);
    const refused = keyDeliveryDecision(disabled, "198.51.100.1");
    assert.equal(refused.allowed, false);
    assert.match(!refused.allowed ? refused.message : "", /public network access is disabled/);
  });
});

describe("the client address", () => {
  it("is the socket's peer; an X-Forwarded-For a client wrote is ignored unless the peer is a trusted proxy", () => {
    assert.equal(resolveClientAddress("127.0.0.2", "127.0.0.1", []), "127.0.0.2");
    assert.equal(resolveClientAddress("10.0.0.5", "203.0.113.9, 198.51.100.4", ["10.0.0.0/8"]), "198.51.100.4");
    assert.equal(
      resolveClientAddress("10.0.0.5", "203.0.113.9, 10.0.0.6", ["10.0.0.0/8"]),
      "203.0.113.9",
      "a chain of trusted proxies",
    );
    assert.equal(resolveClientAddress("::ffff:127.0.0.2", undefined, []), "127.0.0.2");
  });
});

describe("key delivery over loopback, from 127.0.0.1 and 127.0.0.2", () => {
  const owner = principalOf(demoUsers.owner);
  const ref = contosoAccount("ipaccess");
  const scope = { principal: owner, ref };
  const tokenKey = randomBytes(32);
  let env: AppEnvironment;
  let server: Server;
  let mediaServiceId: string;
  let kid: string;

  /** The route handler's work behind node:http, as `next start` serves it, with the process's client-address hook. */
  const toRequest = (req: IncomingMessage, port: number) =>
    new Request(`http://127.0.0.1:${port}${req.url}`, {
      headers: Object.entries(req.headers).flatMap(([k, v]) =>
        typeof v === "string" ? [[k, v] as [string, string]] : [],
      ),
    });

  async function fetchKey(localAddress: string, extraHeaders: Record<string, string> = {}) {
    const token = await new SignJWT({ [contentKeyIdClaim]: kid })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(tokenIssuer)
      .setAudience(tokenAudience)
      .setExpirationTime("5m")
      .sign(tokenKey);
    const { port } = server.address() as AddressInfo;
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port,
          localAddress,
          path: `/keydelivery/${mediaServiceId}?kid=${kid}`,
          headers: { authorization: `Bearer ${token}`, ...extraHeaders },
        },
        (res) => {
          let body = "";
          res.on("data", (c) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on("error", reject);
      req.end();
    });
  }

  before(async () => {
    env = await startAppEnvironment();
    const { account } = await lib.changes.putAccountFor(owner, {
      ...ref,
      location: "westus2",
      identityType: "None",
      settings: { keyDelivery: { defaultAction: "Deny", ipAllowList: ["127.0.0.1"] } },
    });
    mediaServiceId = account.id;
    await lib.policies.putContentKeyPolicyFor(scope, "signed", tokenPolicyBody(tokenKey));
    await lib.assets.putAssetFor(scope, "movie", { properties: {} });
    await lib.locators.putStreamingLocatorFor(scope, "stream", {
      properties: {
        assetName: "movie",
        streamingPolicyName: "Predefined_ClearKey",
        defaultContentKeyPolicyName: "signed",
      },
    });
    kid = (await lib.locators.listContentKeysFor(scope, "stream")).contentKeys[0]!.id;
    installClientAddress([]);
    server = createServer((req, res) => {
      const port = (server.address() as AddressInfo).port;
      void lib.delivery.deliverContentKey(toRequest(req, port), mediaServiceId).then(async (answer) => {
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    server?.close();
    await env?.dispose();
  });

  it("delivers to the allowed address and refuses the other with 403 KeyDeliveryAccessDenied, even when it claims the allowed one", async () => {
    assert.equal((await fetchKey("127.0.0.1")).status, 200);
    const refused = await fetchKey("127.0.0.2");
    assert.equal(refused.status, 403);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, "KeyDeliveryAccessDenied");
    assert.equal((await fetchKey("127.0.0.2", { "x-forwarded-for": "127.0.0.1" })).status, 403, "a spoofed header");
  });

  it("delivers to every address again once the default action is Allow", async () => {
    await lib.changes.updateAccountFor(owner, ref, {
      settings: { keyDelivery: { defaultAction: "Allow", ipAllowList: [] } },
    });
    assert.equal((await fetchKey("127.0.0.2")).status, 200);
  });

  it("with public network access Disabled, serves only the allow list: none with Allow, 127.0.0.1 with Deny", async () => {
    const refusedBecauseDisabled = (answer: { status: number; body: string }) => {
      assert.equal(answer.status, 403, answer.body);
      const error = (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
      assert.equal(error.code, "KeyDeliveryAccessDenied");
      assert.match(error.message, /public network access is disabled/);
    };
    await lib.changes.updateAccountFor(owner, ref, { settings: { publicNetworkAccess: "Disabled" } });
    refusedBecauseDisabled(await fetchKey("127.0.0.1"));
    refusedBecauseDisabled(await fetchKey("127.0.0.2"));
    await lib.changes.updateAccountFor(owner, ref, {
      settings: { keyDelivery: { defaultAction: "Deny", ipAllowList: ["127.0.0.1"] } },
    });
    assert.equal((await fetchKey("127.0.0.1")).status, 200, "inside the allow list");
    refusedBecauseDisabled(await fetchKey("127.0.0.2"));
    refusedBecauseDisabled(await fetchKey("127.0.0.2", { "x-forwarded-for": "127.0.0.1" }));
  });
});
