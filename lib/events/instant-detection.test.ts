/**
 * The portal's "instant detection" against the emulator's Event Grid, as the owner with their
 * delegated ARM token: a vault has at most one system topic (Azure refuses a second one per
 * source), so the event subscription goes on the vault's existing topic whatever its name, and a
 * new `<vault>-events` topic is made only when the vault has none.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { demoSubscriptions, demoUsers, demoVaults } from "@/lib/demo/directory";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { serveRoutes } from "@/test/support/route-server";
import { eventGridApiVersion, enableInstantDetectionFor, instantDetectionFor } from "./instant-detection";
import { allowEventGridOrigin, receiveKeyVaultEvents } from "./keyvault-webhook";

const owner = principalOf(demoUsers.owner);
const rg = demoVaults.resourceGroup;
const topics = `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${rg}/providers/Microsoft.EventGrid/systemTopics`;
const vaultId = (vault: string) =>
  `/subscriptions/${demoSubscriptions.contosoMedia.id}/resourceGroups/${rg}/providers/Microsoft.KeyVault/vaults/${vault}`;

let env: AppEnvironment;
let webhook: Awaited<ReturnType<typeof serveRoutes>>;
let ownerArmToken: string;

before(async () => {
  // Event Grid validates the webhook while it creates the subscription: the portal's public URL
  // (http://localhost:PORT locally) is this test's webhook.
  webhook = await serveRoutes({ POST: receiveKeyVaultEvents, OPTIONS: allowEventGridOrigin });
  process.env.PORT = new URL(webhook.url).port;
  env = await startAppEnvironment();
  ownerArmToken = await env.emu.userToken(demoUsers.owner);
});
after(async () => {
  await webhook?.close();
  await env?.dispose();
});

const topicNames = async () => {
  const res = await env.emu.armFetch("GET", topics, undefined, eventGridApiVersion);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return (res.json as { value: { name: string; properties: { source: string } }[] }).value;
};
const subscriptionsOf = async (topic: string) => {
  const res = await env.emu.armFetch("GET", `${topics}/${topic}/eventSubscriptions`, undefined, eventGridApiVersion);
  return res.status === 200 ? (res.json as { value: { name: string }[] }).value.map((s) => s.name) : [];
};

describe("instant detection", () => {
  const vault = demoVaults.compliant.name;
  const onVault = async () =>
    (await topicNames()).filter((t) => t.properties.source.toLowerCase() === vaultId(vault).toLowerCase());

  it("makes `<vault>-events` when the vault has no system topic yet", async () => {
    await env.createCustomerKeyAccount(owner, "instant", vault, `${env.emu.vaultUrl(vault)}/keys/rsa-2048`);
    assert.deepEqual(await onVault(), []);
    const enabled = await enableInstantDetectionFor(owner, contosoAccount("instant"), ownerArmToken);
    assert.equal(enabled.provisioningState, "Succeeded");
    assert.deepEqual(
      (await onVault()).map((t) => t.name),
      [`${vault}-events`],
    );
    assert.deepEqual(await subscriptionsOf(`${vault}-events`), ["byok-media-key-monitor"]);
    for (const path of [
      `${topics}/${vault}-events/eventSubscriptions/byok-media-key-monitor`,
      `${topics}/${vault}-events`,
    ])
      assert.ok((await env.emu.armFetch("DELETE", path, undefined, eventGridApiVersion)).status < 300, path);
  });

  it("subscribes on the vault's existing system topic, whatever its name, instead of failing on a second one", async () => {
    const existing = await env.emu.armFetch(
      "PUT",
      `${topics}/byok-keys-topic`,
      { location: "westus2", properties: { source: vaultId(vault), topicType: "Microsoft.KeyVault.vaults" } },
      eventGridApiVersion,
    );
    assert.equal(existing.status, 201, JSON.stringify(existing.json));

    const enabled = await enableInstantDetectionFor(owner, contosoAccount("instant"), ownerArmToken);
    assert.equal(enabled.provisioningState, "Succeeded");
    assert.deepEqual(await subscriptionsOf("byok-keys-topic"), ["byok-media-key-monitor"]);
    assert.deepEqual(
      (await onVault()).map((t) => t.name),
      ["byok-keys-topic"],
      "still the one system topic on the vault",
    );
    // Again: the same subscription, updated in place.
    await enableInstantDetectionFor(owner, contosoAccount("instant"), ownerArmToken);
    assert.deepEqual(await subscriptionsOf("byok-keys-topic"), ["byok-media-key-monitor"]);
  });

  it("tells owners who use the az commands to reuse the vault's system topic", async () => {
    const { commands } = await instantDetectionFor(owner, contosoAccount("instant"));
    const script = commands.join("\n");
    assert.match(script, /az eventgrid system-topic list .*--query .*source/);
    assert.match(script, /--system-topic-name \$TOPIC\b/);
    assert.doesNotMatch(script, /--delivery-identity/, "Event Grid's own app delivers, never the topic's identity");
  });
});
