/**
 * The Key Vault events webhook against the emulator's Event Grid: the subscription's handshake,
 * accounts checked at once (with a 60 s monitor interval and no worker running) when access is
 * removed, restored, or a new version appears; forged deliveries refused before anything happens;
 * duplicated, reordered and late events changing nothing wrong.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoAutomationApp, demoPortalApp, demoTenants, demoUsers, demoVaults } from "@/lib/demo/directory";
import type { IssuedClaims } from "@/emulator/tokens";
import { principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { serveRoutes } from "@/test/support/route-server";
import { subscribeToVaultEvents } from "@/test/support/vault-events";
import type { CheckOutcome } from "@/lib/monitor/check";
import { onTriggeredCheck, triggeredChecksSettled } from "@/lib/monitor/trigger";
import { eventGridAppId } from "./key-vault-event-types";
import { allowEventGridOrigin, receiveKeyVaultEvents } from "./keyvault-webhook";
import { lastVaultEvent } from "./store";

process.env.MONITOR_INTERVAL_SECONDS = "60";
const owner = principalOf(demoUsers.owner);
const vault = demoVaults.compliant.name;

let env: AppEnvironment;
let webhook: Awaited<ReturnType<typeof serveRoutes>>;
let accountId: string;
let principalId: string;
let keyId: string;
const outcomes: CheckOutcome[] = [];
onTriggeredCheck((o) => outcomes.push(o));

const eventGridClaims = (): IssuedClaims => ({
  tid: demoTenants.contoso.id,
  aud: `api://${demoPortalApp.clientId}`,
  oid: randomUUID(),
  appid: eventGridAppId,
  azp: eventGridAppId,
  idtyp: "app",
});

const account = () =>
  env.database.db.mediaAccount.findUniqueOrThrow({ where: { id: accountId }, include: { accountKey: true } });
const transitions = () => env.database.db.keyTransition.count({ where: { accountId } });

/**
 * Waits for the account to reach `state`; returns how long it took. At most 20 s: far under the
 * 60 s interval (no worker runs here anyway), and loose enough for a loaded test machine; the
 * detection bench measures the latency.
 */
async function until(
  state: "Active" | "Inaccessible",
  extra: (a: Awaited<ReturnType<typeof account>>) => boolean = () => true,
) {
  const started = Date.now();
  for (;;) {
    const a = await account();
    if (a.keyStatus === state && extra(a)) return Date.now() - started;
    if (Date.now() - started > 20_000)
      throw new Error(`still ${a.keyStatus} (${a.keyStatusReason}) after 20 s; checks: ${JSON.stringify(outcomes)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function post(body: unknown, token: string | null, headers: Record<string, string> = {}) {
  return receiveKeyVaultEvents(
    new Request("http://127.0.0.1/api/events/keyvault", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    }),
  );
}

const policyEvent = (eventTime = new Date().toISOString()) => ({
  id: randomUUID(),
  topic: `/subscriptions/x/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}`,
  subject: vault,
  eventType: "Microsoft.KeyVault.VaultAccessPolicyChanged",
  eventTime,
  data: { Id: env.emu.vaultUrl(vault), VaultName: vault, ObjectType: "Vault", ObjectName: vault },
  dataVersion: "1",
  metadataVersion: "1",
});

before(async () => {
  env = await startAppEnvironment();
  await env.emu.grantKeys(vault, demoAutomationApp.objectId, ["get", "list", "create", "rotate"]);
  await env.emu.keyClient(vault).createRsaKey("evented", { keySize: 2048 });
  keyId = `${env.emu.vaultUrl(vault)}/keys/evented`;
  const created = await env.createCustomerKeyAccount(owner, "evented", vault, keyId);
  accountId = created.id;
  principalId = created.principalId!;
  webhook = await serveRoutes({ POST: receiveKeyVaultEvents, OPTIONS: allowEventGridOrigin });
});
after(async () => {
  await webhook?.close();
  await env?.dispose();
});

describe("Key Vault events webhook", () => {
  it("passes the subscription's handshake and checks the account at once when access goes, comes back, or a version appears", async () => {
    await subscribeToVaultEvents(env.emu, { vault, endpointUrl: `${webhook.url}/api/events/keyvault` });
    assert.equal((await account()).keyStatus, "Active");

    await env.emu.revokeKeys(vault, principalId);
    const lost = await until("Inaccessible");
    assert.equal((await account()).keyStatusReason, "KeyVaultAccessDenied");
    await env.emu.grantKeys(vault, principalId);
    const back = await until("Active");
    const rotated = await env.emu.keyClient(vault).rotateKey("evented");
    const adopted = await until("Active", (a) => a.accountKey?.wrappedBy === rotated.id);
    assert.ok(lost < 20_000 && back < 20_000 && adopted < 20_000, `${lost} / ${back} / ${adopted} ms`);
    // A late event (the rotation's, say) may still mark the account due and check it again: once the
    // checks it triggered have run, the next poll is a full interval away.
    await until("Active", (a) => a.nextCheckAt.getTime() > Date.now() + 50_000).catch(() =>
      assert.fail("the poll stays at its 60 s interval once the events' checks have run"),
    );

    const feed = await lastVaultEvent(new URL(keyId).host);
    assert.equal(feed?.lastEventType, "Microsoft.KeyVault.KeyNewVersionCreated");
    assert.ok(feed!.received >= 3);
  });

  it("also takes CloudEvents 1.0, after the OPTIONS handshake", async () => {
    await subscribeToVaultEvents(env.emu, {
      vault,
      endpointUrl: `${webhook.url}/api/events/keyvault`,
      name: "cloud",
      schema: "CloudEventSchemaV1_0",
    });
    await env.emu.revokeKeys(vault, principalId);
    await until("Inaccessible");
    await env.emu.grantKeys(vault, principalId);
    await until("Active");
    await env.emu.armFetch(
      "DELETE",
      `/subscriptions/${(await account()).subscriptionId}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.EventGrid/systemTopics/${vault}-events/eventSubscriptions/cloud`,
      undefined,
      "2022-06-15",
    );
  });

  it("refuses forged deliveries and handshakes before touching anything", async () => {
    // Let the deliveries of the tests before (two subscriptions deliver each event) finish first.
    await triggeredChecksSettled();
    await new Promise((r) => setTimeout(r, 1000));
    await triggeredChecksSettled();
    const before = await account();
    const validation = [
      {
        id: randomUUID(),
        eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
        subject: "",
        data: { validationCode: "forged-code" },
      },
    ];
    const forged: [string, string | null][] = [
      ["no token", null],
      ["another audience", await env.emu.issueToken({ ...eventGridClaims(), aud: env.emu.url })],
      [
        "another client",
        await env.emu.issueToken({ ...eventGridClaims(), appid: demoAutomationApp.clientId, azp: undefined }),
      ],
      ["an unknown tenant", await env.emu.issueToken({ ...eventGridClaims(), tid: randomUUID() })],
      ["a made-up signature", `${(await env.emu.issueToken(eventGridClaims())).slice(0, -6)}AAAAAA`],
    ];
    for (const [what, token] of forged) {
      for (const body of [validation, [policyEvent()]]) {
        const res = await post(body, token);
        assert.equal(res.status, 401, `${what}: ${res.status}`);
        assert.doesNotMatch(await res.text(), /forged-code/, what);
      }
      const options = await allowEventGridOrigin(
        new Request("http://127.0.0.1/api/events/keyvault", {
          method: "OPTIONS",
          headers: {
            "webhook-request-origin": "eventgrid.azure.net",
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        }),
      );
      assert.equal(options.status, 401, what);
    }
    await triggeredChecksSettled();
    const after = await account();
    assert.deepEqual(
      { next: after.nextCheckAt, last: after.lastCheckAt },
      { next: before.nextCheckAt, last: before.lastCheckAt },
      "no forged delivery made a check due or ran one",
    );
  });

  it("counts a delivery toward a vault's 'events flowing' only from a tenant with accounts on that vault", async () => {
    const host = new URL(keyId).host;
    const before = await lastVaultEvent(host);
    assert.ok(before, "the tests before recorded Contoso's events");
    const fabrikam = await env.emu.issueToken({ ...eventGridClaims(), tid: demoTenants.fabrikam.id });
    const res = await post([policyEvent()], fabrikam);
    assert.equal(res.status, 200, "Fabrikam is a tenant of the service: its delivery is accepted");
    await triggeredChecksSettled();
    assert.deepEqual(
      await lastVaultEvent(host),
      before,
      "Fabrikam has no account on Contoso's vault: nothing recorded",
    );

    const contoso = await env.emu.issueToken(eventGridClaims());
    assert.equal((await post([policyEvent()], contoso)).status, 200);
    await triggeredChecksSettled();
    assert.equal((await lastVaultEvent(host))!.received, before!.received + 1, "Contoso's own delivery counts");
  });

  it("refuses delivery with the topic's managed identity, saying to use Event Grid's Entra ID delivery", async () => {
    const topicPath = `/subscriptions/${(await account()).subscriptionId}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.EventGrid/systemTopics/${vault}-events`;
    const topic = await env.emu.armFetch(
      "PUT",
      topicPath,
      {
        location: "westus2",
        identity: { type: "SystemAssigned" },
        properties: {
          source: `/subscriptions/${(await account()).subscriptionId}/resourceGroups/${demoVaults.resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}`,
          topicType: "Microsoft.KeyVault.vaults",
        },
      },
      "2022-06-15",
    );
    assert.ok(topic.status < 300, JSON.stringify(topic.json));
    const created = await env.emu.armFetch(
      "PUT",
      `${topicPath}/eventSubscriptions/as-topic`,
      {
        properties: {
          deliveryWithResourceIdentity: {
            identity: { type: "SystemAssigned" },
            destination: {
              endpointType: "WebHook",
              properties: {
                endpointUrl: `${webhook.url}/api/events/keyvault`,
                azureActiveDirectoryTenantId: demoTenants.contoso.id,
                azureActiveDirectoryApplicationIdOrUri: `api://${demoPortalApp.clientId}`,
              },
            },
          },
        },
      },
      "2022-06-15",
    );
    assert.ok(created.status >= 400, `the webhook refused the handshake: HTTP ${created.status}`);

    const asIdentity = await env.emu.issueToken({ ...eventGridClaims(), appid: randomUUID(), azp: randomUUID() });
    const res = await post([policyEvent()], asIdentity);
    assert.equal(res.status, 401);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, "InvalidAuthenticationToken");
    assert.match(error.message, /azureActiveDirectoryApplicationIdOrUri.*not the topic's managed identity/);
  });

  it("lets duplicated, reordered and late events cause at most one more check, never a wrong state", async () => {
    const token = await env.emu.issueToken(eventGridClaims());
    const transitionsBefore = await transitions();
    const late = policyEvent(new Date(Date.now() - 86_400_000).toISOString());
    for (let i = 0; i < 3; i++) assert.equal((await post([late], token)).status, 200, "late, then duplicated");
    await triggeredChecksSettled();
    const a = await account();
    assert.equal(a.keyStatus, "Active", "an old 'policy changed' does not make an accessible key inaccessible");
    assert.equal(await transitions(), transitionsBefore);

    // Reordered: the event of the first version arrives after the second was adopted.
    const first = (await env.emu.keyClient(vault).listPropertiesOfKeyVersions("evented").next()).value!;
    const stale = {
      ...policyEvent(),
      subject: "evented",
      eventType: "Microsoft.KeyVault.KeyNewVersionCreated",
      data: { Id: first.id, VaultName: vault, ObjectType: "Key", ObjectName: "evented", Version: first.version },
    };
    assert.equal((await post([stale], token)).status, 200);
    await triggeredChecksSettled();
    const afterStale = await account();
    assert.equal(afterStale.accountKey!.wrappedBy, a.accountKey!.wrappedBy, "still wrapped by the latest version");
    assert.equal(await transitions(), transitionsBefore);

    // An event about another vault or of another kind is ignored.
    const elsewhere = { ...policyEvent(), data: { Id: "https://contoso-eastus.vault.localhost:1/" } };
    const unknown = { ...policyEvent(), eventType: "Microsoft.KeyVault.SecretNewVersionCreated" };
    assert.equal((await post([elsewhere, unknown], token)).status, 200);
    assert.equal((await post({ not: "events" }, token)).status, 400);
  });
});
