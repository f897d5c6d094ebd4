/**
 * Event Grid for Key Vault: system topics and event subscriptions through ARM, the validation
 * handshakes (code echoed, validationUrl, CloudEvents' OPTIONS), the vault's events in both
 * schemas with Entra-protected delivery, the retry schedule, dead-lettering and injected faults.
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from "jose";
import { demoAutomationApp, demoSubscriptions, demoTenants, demoVaults } from "@/lib/demo/directory";
import { eventGridAppId } from "@/lib/events/key-vault-event-types";
import { httpsJson, startTestEmulator, type TestEmulator } from "./test-support";

const sub = demoSubscriptions.contosoMedia.id;
const rg = demoVaults.resourceGroup;
const vault = demoVaults.compliant.name;
const vaultId = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${vault}`;
const topicPath = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.EventGrid/systemTopics/byok-events`;
const apiVersion = "2022-06-15";
const webhookApp = "api://eventgrid-test-webhook";

interface Received {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** A webhook that records every request and answers as `answer` says (default: echo the handshake, 200). */
const received: Received[] = [];
let answer: (r: Received) => { status: number; json?: unknown; headers?: Record<string, string> } = defaultAnswer;
function defaultAnswer(r: Received) {
  if (r.method === "OPTIONS")
    return { status: 200, headers: { "webhook-allowed-origin": String(r.headers["webhook-request-origin"]) } };
  if (r.headers["aeg-event-type"] === "SubscriptionValidation") {
    const [event] = r.body as { data: { validationCode: string } }[];
    return { status: 200, json: { validationResponse: event!.data.validationCode } };
  }
  return { status: 200 };
}

const webhook = http.createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  const r = { method: req.method ?? "", headers: req.headers, body: text ? JSON.parse(text) : undefined };
  received.push(r);
  const a = answer(r);
  res
    .writeHead(a.status, { "content-type": "application/json", ...a.headers })
    .end(a.json ? JSON.stringify(a.json) : "");
});
let endpoint = "";

let emu: TestEmulator;
before(async () => {
  emu = await startTestEmulator({ eventGridTimeScale: 0.001 });
  await new Promise<void>((r) => webhook.listen(0, "127.0.0.1", r));
  endpoint = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/api/events/keyvault?code=secret`;
  await emu.grantKeys(vault, demoAutomationApp.objectId, ["get", "create", "rotate", "update"]);
  const topic = await emu.armFetch(
    "PUT",
    topicPath,
    { location: "westus2", properties: { source: vaultId, topicType: "Microsoft.KeyVault.vaults" } },
    apiVersion,
  );
  assert.equal(topic.status, 201, JSON.stringify(topic.json));
});
after(async () => {
  await emu?.dispose();
  webhook.close();
});
beforeEach(async () => {
  answer = defaultAnswer;
  received.length = 0;
  await emu.admin("POST", "reset");
});

const subscriptionPath = (name: string) => `${topicPath}/eventSubscriptions/${name}`;
function subscribe(name: string, properties: Record<string, unknown> = {}) {
  return emu.armFetch(
    "PUT",
    subscriptionPath(name),
    {
      properties: {
        destination: {
          endpointType: "WebHook",
          properties: {
            endpointUrl: endpoint,
            azureActiveDirectoryTenantId: demoTenants.contoso.id,
            azureActiveDirectoryApplicationIdOrUri: webhookApp,
          },
        },
        ...properties,
      },
    },
    apiVersion,
  );
}
const unsubscribe = (name: string) => emu.armFetch("DELETE", subscriptionPath(name), undefined, apiVersion);

/** Waits (at most 5 s) until `predicate` holds for what the webhook received. */
async function until<T>(what: string, predicate: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = await predicate();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const notifications = () =>
  received.filter((r) => r.method === "POST" && r.headers["aeg-event-type"] === "Notification");
const counters = async () =>
  ((await emu.admin("GET", "counters")).json as { eventgrid?: Record<string, Record<string, number>> }).eventgrid?.[
    vault
  ] ?? {};

describe("Event Grid system topics", () => {
  it("has one system topic per vault, of Key Vault's topic type, and refuses other api-versions", async () => {
    const got = await emu.armFetch("GET", topicPath, undefined, apiVersion);
    assert.equal((got.json as { properties: { source: string } }).properties.source, vaultId);
    const second = await emu.armFetch(
      "PUT",
      topicPath.replace("byok-events", "another"),
      { location: "westus2", properties: { source: vaultId, topicType: "Microsoft.KeyVault.vaults" } },
      apiVersion,
    );
    assert.equal(second.status, 400);
    assert.match(JSON.stringify(second.json), /one system topic is allowed per source/);
    assert.equal((await emu.armFetch("GET", topicPath, undefined, "2015-01-01")).status, 400);
  });
});

describe("event subscriptions", () => {
  it("validates the webhook by its echoed code, then delivers KeyNewVersionCreated with an Entra token for the webhook's app", async () => {
    const created = await subscribe("echo", {
      filter: { includedEventTypes: ["Microsoft.KeyVault.KeyNewVersionCreated"] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const props = (created.json as { properties: Record<string, unknown> }).properties;
    assert.equal(props.provisioningState, "Succeeded");
    const dest = (props.destination as { properties: Record<string, unknown> }).properties;
    assert.equal(dest.endpointBaseUrl, endpoint.replace(/\?.*$/, ""), "the URL's query (a secret) is never returned");
    const validation = received[0]!;
    const [event] = validation.body as { eventType: string; data: Record<string, string> }[];
    assert.equal(event!.eventType, "Microsoft.EventGrid.SubscriptionValidationEvent");
    assert.match(event!.data.validationUrl!, /\/eventsubscriptions\/echo\/validate\?/);

    const rotated = await emu.keyClient(vault).createRsaKey("evented", { keySize: 2048 });
    const [delivery] = await until("the event", () => (notifications().length ? notifications() : undefined));
    const [e] = delivery!.body as {
      eventType: string;
      subject: string;
      topic: string;
      data: Record<string, unknown>;
    }[];
    assert.deepEqual(
      { type: e!.eventType, subject: e!.subject, topic: e!.topic, id: e!.data.Id, version: e!.data.Version },
      {
        type: "Microsoft.KeyVault.KeyNewVersionCreated",
        subject: "evented",
        topic: vaultId,
        id: rotated.id,
        version: rotated.properties.version,
      },
    );
    const token = /^Bearer (.+)$/.exec(String(delivery!.headers.authorization))![1]!;
    const jwks = (await httpsJson(emu.agent, "GET", `${emu.url}/common/discovery/v2.0/keys`)).json as JSONWebKeySet;
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      audience: webhookApp,
      issuer: `${emu.url}/${demoTenants.contoso.id}/v2.0`,
    });
    assert.equal(payload.appid, eventGridAppId, "issued to Event Grid's app");

    await emu.revokeKeys(vault, demoAutomationApp.objectId);
    await emu.grantKeys(vault, demoAutomationApp.objectId, ["get", "create", "rotate", "update"]);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(notifications().length, 1, "VaultAccessPolicyChanged is filtered out");
    await unsubscribe("echo");
  });

  it("publishes VaultAccessPolicyChanged in CloudEvents 1.0 after the OPTIONS handshake", async () => {
    const created = await subscribe("cloud", { eventDeliverySchema: "CloudEventSchemaV1_0" });
    assert.equal(
      (created.json as { properties: { provisioningState: string } }).properties.provisioningState,
      "Succeeded",
    );
    assert.equal(received[0]!.method, "OPTIONS");
    await emu.revokeKeys(vault, "0d0d0d0d-0000-4000-8000-000000000000");
    await emu.grantKeys(vault, "0d0d0d0d-0000-4000-8000-000000000000");
    const [delivery] = await until("the cloud event", () => (notifications().length ? notifications() : undefined));
    assert.match(String(delivery!.headers["content-type"]), /application\/cloudevents\+json/);
    const ce = delivery!.body as Record<string, unknown>;
    assert.deepEqual(
      { specversion: ce.specversion, type: ce.type, source: ce.source, subject: ce.subject },
      {
        specversion: "1.0",
        type: "Microsoft.KeyVault.VaultAccessPolicyChanged",
        source: vaultId,
        subject: vault,
      },
    );
    await unsubscribe("cloud");
  });

  it("waits for the manual handshake (validationUrl) before delivering, and refuses an endpoint that fails it", async () => {
    answer = (r) => (r.headers["aeg-event-type"] === "SubscriptionValidation" ? { status: 200 } : { status: 200 });
    const created = await subscribe("manual");
    assert.equal(
      (created.json as { properties: { provisioningState: string } }).properties.provisioningState,
      "AwaitingManualAction",
    );
    await emu.keyClient(vault).rotateKey("evented");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(notifications().length, 0, "nothing is delivered before validation");
    const url = (received[0]!.body as { data: { validationUrl: string } }[])[0]!.data.validationUrl;
    assert.equal((await httpsJson(emu.agent, "GET", url.replace(/t=[^&]+/, "t=forged"))).status, 400);
    assert.equal((await httpsJson(emu.agent, "GET", url)).status, 200);
    const got = await emu.armFetch("GET", subscriptionPath("manual"), undefined, apiVersion);
    assert.equal((got.json as { properties: { provisioningState: string } }).properties.provisioningState, "Succeeded");
    await emu.keyClient(vault).rotateKey("evented");
    await until("the event after validation", () => (notifications().length ? true : undefined));
    await unsubscribe("manual");

    answer = () => ({ status: 500 });
    const refused = await subscribe("refused");
    assert.equal(refused.status, 400);
    assert.match(JSON.stringify(refused.json), /validation handshake failed/);
    assert.equal((await emu.armFetch("GET", subscriptionPath("refused"), undefined, apiVersion)).status, 404);
  });

  it("retries on Event Grid's schedule, dead-letters what never arrives, and does not retry a 400", async () => {
    await subscribe("retrying", {
      retryPolicy: { maxDeliveryAttempts: 3, eventTimeToLiveInMinutes: 1440 },
      deadLetterDestination: {
        endpointType: "StorageBlob",
        properties: {
          resourceId: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/deadletters`,
          blobContainerName: "events",
        },
      },
    });
    let failures = 2;
    answer = (r) =>
      r.headers["aeg-event-type"] === "Notification" && failures-- > 0 ? { status: 503 } : { status: 200 };
    await emu.keyClient(vault).rotateKey("evented");
    await until("the third attempt", () => (notifications().length === 3 ? true : undefined));
    assert.deepEqual(
      notifications().map((r) => r.headers["aeg-delivery-count"]),
      ["0", "1", "2"],
    );
    await until("the delivered count", async () => ((await counters()).delivered === 1 ? true : undefined));
    assert.deepEqual(
      { deliver: (await counters()).deliver, retried: (await counters()).retried },
      { deliver: 3, retried: 2 },
    );

    answer = defaultAnswer;
    const fault = await emu.admin("POST", "faults", {
      target: "eventgrid",
      vault,
      operation: "deliver",
      kind: "status",
      status: 500,
    });
    assert.equal(fault.status, 201);
    await emu.keyClient(vault).rotateKey("evented");
    await until("the dead letter", async () => ((await counters()).deadLettered === 1 ? true : undefined));
    const letters = (await emu.admin("GET", "eventgrid/deadletters")).json as {
      value: { deadLetterReason: string; deliveryAttempts: number; lastHttpStatusCode: number; container: string }[];
    };
    assert.deepEqual(
      letters.value.map(({ deadLetterReason, deliveryAttempts, lastHttpStatusCode, container }) => ({
        deadLetterReason,
        deliveryAttempts,
        lastHttpStatusCode,
        container,
      })),
      [
        {
          deadLetterReason: "MaxDeliveryAttemptsExceeded",
          deliveryAttempts: 3,
          lastHttpStatusCode: 500,
          container: "events",
        },
      ],
    );
    await emu.admin("POST", "reset");

    answer = (r) => (r.headers["aeg-event-type"] === "Notification" ? { status: 400 } : { status: 200 });
    await emu.keyClient(vault).rotateKey("evented");
    await until("the rejected event", async () => ((await counters()).deadLettered === 1 ? true : undefined));
    assert.equal((await counters()).deliver, 1, "a 400 is not retried");
    await unsubscribe("retrying");
  });

  it("announces a key's near expiry and its expiry once each", async () => {
    await subscribe("expiry", {
      filter: { includedEventTypes: ["Microsoft.KeyVault.KeyNearExpiry", "Microsoft.KeyVault.KeyExpired"] },
    });
    await emu.keyClient(vault).createRsaKey("expiring", { keySize: 2048, expiresOn: new Date(Date.now() + 1500) });
    await until("both events", () => (notifications().length === 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 1200));
    assert.deepEqual(
      notifications()
        .map((r) => (r.body as { eventType: string }[])[0]!.eventType)
        .sort(),
      ["Microsoft.KeyVault.KeyExpired", "Microsoft.KeyVault.KeyNearExpiry"],
    );
    await unsubscribe("expiry");
  });
});
