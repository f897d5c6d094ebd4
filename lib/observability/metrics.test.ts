/**
 * /api/metrics: refused without METRICS_TOKEN's bearer token, the Prometheus text of every metric
 * family with it, and counters that move with what the service does (a monitor check that finds
 * a key disabled, the Key Vault calls it made, a key-delivery refusal).
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { GET } from "@/app/api/metrics/route";
import { demoAutomationApp, demoUsers, demoVaults } from "@/lib/demo/directory";
import { deliverKey } from "@/lib/media/key-delivery";
import { startMonitor } from "@/lib/monitor/worker";
import { principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";

const token = randomBytes(24).toString("base64url");
process.env.METRICS_TOKEN = token;
process.env.MONITOR_INTERVAL_SECONDS = "0.3";

let env: AppEnvironment;
before(async () => {
  env = await startAppEnvironment();
  await env.emu.grantKeys(demoVaults.compliant.name, demoAutomationApp.objectId, ["get", "create", "update"]);
});
after(async () => env?.dispose());

const scrape = (authorization?: string) =>
  GET(new Request("http://localhost/api/metrics", { headers: authorization ? { authorization } : {} }));

/** The value of one sample of the scrape (0 when absent), e.g. `byok_monitor_checks_total{result="active"}`. */
async function sample(series: string): Promise<number> {
  const text = await (await scrape(`Bearer ${token}`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("/api/metrics", () => {
  it("answers 401 without the token or with another one, in constant time over digests", async () => {
    for (const authorization of [
      undefined,
      "Bearer",
      `Bearer ${token}x`,
      `Bearer ${token.slice(1)}`,
      `Basic ${token}`,
    ]) {
      const res = await scrape(authorization);
      assert.equal(res.status, 401, String(authorization));
      assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal(await res.text(), "");
    }
  });

  it("with the token: every metric family in Prometheus text format", async () => {
    const res = await scrape(`Bearer ${token}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const family of [
      "byok_monitor_checks_total counter",
      "byok_key_state_transitions_total counter",
      "byok_detection_latency_seconds histogram",
      "byok_keyvault_requests_total counter",
      "byok_keyvault_throttled_total counter",
      "byok_key_delivery_requests_total counter",
      "byok_job_queue_depth gauge",
      "byok_cache_entries gauge",
    ])
      assert.ok(text.includes(`# TYPE ${family}`), `${family} in:\n${text}`);
    assert.match(text, /^byok_job_queue_depth\{state="Scheduled"\} 0$/m, "the queue depth is read from the database");
  });

  it("counts checks by result, transitions, detection latency and Key Vault calls by vault as the monitor works", async () => {
    const vault = demoVaults.compliant.name;
    const keys = env.emu.keyClient(vault);
    await keys.createRsaKey("metered", { keySize: 2048 });
    const account = await env.createCustomerKeyAccount(
      principalOf(demoUsers.owner),
      "metered",
      vault,
      `${env.emu.vaultUrl(vault)}/keys/metered`,
    );
    const vaultHost = new URL(env.emu.vaultUrl(vault)).hostname;
    const before = {
      active: await sample('byok_monitor_checks_total{result="active"}'),
      inaccessible: await sample('byok_monitor_checks_total{result="inaccessible"}'),
      transitions: await sample('byok_key_state_transitions_total{from="CustomerKey",to="CustomerKeyInaccessible"}'),
      latency: await sample("byok_detection_latency_seconds_count"),
      vaultCalls: await sample(`byok_keyvault_requests_total{vault="${vaultHost}",status="2xx"}`),
    };
    const cycle = async () => {
      await env.database.db.mediaAccount.update({ where: { id: account.id }, data: { nextCheckAt: new Date(0) } });
      return startMonitor({ loop: false }).runOnce();
    };
    assert.equal((await cycle()).find((o) => o.accountId === account.id)?.result, "active");
    assert.equal(await sample('byok_monitor_checks_total{result="active"}'), before.active + 1);
    assert.ok(
      (await sample(`byok_keyvault_requests_total{vault="${vaultHost}",status="2xx"}`)) >= before.vaultCalls + 2,
      "the check read the key and unwrapped with it",
    );

    const { version } = (await keys.getKey("metered")).properties;
    await keys.updateKeyProperties("metered", version!, { enabled: false });
    assert.equal((await cycle()).find((o) => o.accountId === account.id)?.result, "inaccessible");
    assert.equal(await sample('byok_monitor_checks_total{result="inaccessible"}'), before.inaccessible + 1);
    assert.equal(
      await sample('byok_key_state_transitions_total{from="CustomerKey",to="CustomerKeyInaccessible"}'),
      before.transitions + 1,
    );
    assert.equal(await sample("byok_detection_latency_seconds_count"), before.latency + 1);
  });

  it("counts key-delivery requests by outcome", async () => {
    const series = 'byok_key_delivery_requests_total{outcome="InvalidRequest"}';
    const before = await sample(series);
    const answer = await deliverKey({
      authorization: null,
      mediaServiceId: "not-a-guid",
      kid: randomUUID(),
      clientAddress: null,
    });
    assert.equal(answer.status, 400);
    assert.equal(await sample(series), before + 1);
  });
});
