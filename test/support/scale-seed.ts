/**
 * Scale seed (`npm run seed:scale -- 100000`): customer-key accounts in the Contoso demo subscription
 * (resource group `scale-rg`), each with a system-assigned identity in the emulator, an access policy
 * for it on its vault (get, wrapKey, unwrapKey), and its account key wrapped by the vault's key.
 *
 * Fast because it skips the per-account API path: identities and grants go to the emulator's bulk
 * test controls 2,000 at a time, rows go to the database as multi-row inserts (unnest of arrays), and
 * account keys are wrapped locally with the vault key's public half (RSA-OAEP-256 needs no private
 * key; the monitor's check then unwraps them through Key Vault as the account's identity).
 *
 * 1 % of the accounts (every hundredth) get no grant and start inaccessible (KeyVaultAccessDenied),
 * which is also what the monitor finds when it checks them. Re-running tops up to the count: it
 * adds the accounts after the ones already in `scale-rg`, so 1k, 10k and 100k can be seeded in turn.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes, randomUUID } from "node:crypto";
import type https from "node:https";
import pg from "pg";
import { httpsJson } from "@/emulator/test-support";
import { demoRegion, demoSubscriptions } from "@/lib/demo/directory";

export const SCALE_RESOURCE_GROUP = "scale-rg";
const BATCH = 2000;

export interface ScaleSeedOptions {
  /** The database (PostgreSQL or PGlite over the wire), migrated and with the demo subscriptions. */
  databaseUrl: string;
  /** The emulator's HTTPS base URL (test controls on) and an agent that trusts its CA. */
  emulator: { url: string; agent: https.Agent };
  /** How many scale accounts there should be when it returns. */
  count: number;
  /** Accounts sharing one vault (and its one key). */
  accountsPerVault?: number;
  /** First checks spread evenly over this span from now (0: all due now). */
  spreadMs?: number;
  onProgress?: (progress: { done: number; total: number; phase: string }) => void;
}

export const scaleAccountName = (i: number) => `scale${String(i).padStart(6, "0")}`;
export const scaleVaultName = (v: number) => `scale-kv-${v}`;
/** Every hundredth account has no access to its key: 1 % inaccessible. */
export const isInaccessible = (i: number) => i % 100 === 99;

interface VaultKey {
  keyId: string;
  keyIdentifier: string;
  publicKey: ReturnType<typeof createPublicKey>;
}

export async function seedScale(options: ScaleSeedOptions): Promise<{ added: number; total: number; ms: number }> {
  const started = performance.now();
  const perVault = options.accountsPerVault ?? 1000;
  const spreadMs = options.spreadMs ?? 0;
  const sub = demoSubscriptions.contosoMedia;
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const existing = Number(
      (
        await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM "MediaAccount" WHERE "subscriptionId" = $1 AND "resourceGroupKey" = $2`,
          [sub.id, SCALE_RESOURCE_GROUP],
        )
      ).rows[0]!.n,
    );
    const total = Math.max(existing, options.count);
    const admin = async (control: string, body: unknown) => {
      const res = await httpsJson(options.emulator.agent, "POST", `${options.emulator.url}/_emulator/${control}`, body);
      if (res.status !== 200) throw new Error(`emulator ${control}: ${res.status} ${JSON.stringify(res.json)}`);
      return res.json;
    };

    // Vaults first, a few at a time (key generation runs on libuv's pool, so two cores both work).
    const vaults = new Map<number, VaultKey>();
    const needed = [
      ...new Set(Array.from({ length: total - existing }, (_, k) => Math.floor((existing + k) / perVault))),
    ];
    for (let k = 0; k < needed.length; k += 4) {
      await Promise.all(
        needed.slice(k, k + 4).map(async (v) => {
          const res = (await admin("bulk/vault", {
            name: scaleVaultName(v),
            subscriptionId: sub.id,
            resourceGroup: "keys-rg",
            location: demoRegion,
            tenantId: sub.tenantId,
            keyName: "scale-key",
          })) as { vaultUri: string; keyId: string; publicKey: { n: string; e: string } };
          vaults.set(v, {
            keyId: res.keyId,
            keyIdentifier: `${res.vaultUri}/keys/scale-key`,
            publicKey: createPublicKey({ key: { kty: "RSA", ...res.publicKey }, format: "jwk" }),
          });
        }),
      );
      options.onProgress?.({ phase: "vaults", done: Math.min(needed.length, k + 4), total: needed.length });
    }

    const now = Date.now();
    for (let from = existing; from < total; from += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, total - from) }, (_, k) => {
        const i = from + k;
        const vault = vaults.get(Math.floor(i / perVault))!;
        const id = randomUUID();
        const name = scaleAccountName(i);
        const wrapped = publicEncrypt(
          { key: vault.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
          randomBytes(32),
        );
        return {
          i,
          id,
          name,
          principalId: randomUUID(),
          clientId: randomUUID(),
          vaultIndex: Math.floor(i / perVault),
          vault,
          wrapped,
          nextCheckAt: new Date(now + (total > 1 ? Math.floor((spreadMs * (i - existing)) / (total - existing)) : 0)),
        };
      });
      await admin("bulk/identities", {
        identities: rows.map((r) => ({
          principalId: r.principalId,
          clientId: r.clientId,
          tenantId: sub.tenantId,
          resourceId: `/subscriptions/${sub.id}/resourceGroups/${SCALE_RESOURCE_GROUP}/providers/Microsoft.Media/mediaservices/${r.name}`,
          location: demoRegion,
          grants: isInaccessible(r.i) ? [] : [scaleVaultName(r.vaultIndex)],
        })),
      });
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO "MediaAccount" (id, "subscriptionId", "resourceGroup", name, "resourceGroupKey", "nameKey", location,
           "identityType", "principalId", "clientId", "tenantId", "encryptionType", "keyIdentifier",
           "keyStatus", "keyStatusReason", "keyStatusMessage", "nextCheckAt", "updatedAt")
         SELECT u.id, $2, $3, u.name, $3, u.name, $4, 'SystemAssigned', u.pid, u.cid, $5, 'CustomerKey', u.kid,
           u.status::"KeyStatus", u.reason, u.message, u.due, now()
         FROM unnest($1::uuid[], $6::text[], $7::uuid[], $8::uuid[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamptz[])
           AS u(id, name, pid, cid, kid, status, reason, message, due)`,
        [
          rows.map((r) => r.id),
          sub.id,
          SCALE_RESOURCE_GROUP,
          demoRegion,
          sub.tenantId,
          rows.map((r) => r.name),
          rows.map((r) => r.principalId),
          rows.map((r) => r.clientId),
          rows.map((r) => r.vault.keyIdentifier),
          rows.map((r) => (isInaccessible(r.i) ? "Inaccessible" : "Active")),
          rows.map((r) => (isInaccessible(r.i) ? "KeyVaultAccessDenied" : null)),
          rows.map((r) =>
            isInaccessible(r.i) ? "The account's identity has no access policy on the vault (scale seed)." : null,
          ),
          rows.map((r) => r.nextCheckAt.toISOString()),
        ],
      );
      await client.query(
        `INSERT INTO "AccountKey" ("accountId", wrapped, "wrappedBy", algorithm, "updatedAt")
         SELECT u.id, u.wrapped, u.by, 'RSA-OAEP-256', now() FROM unnest($1::uuid[], $2::bytea[], $3::text[]) AS u(id, wrapped, by)`,
        [rows.map((r) => r.id), rows.map((r) => r.wrapped), rows.map((r) => r.vault.keyId)],
      );
      await client.query("COMMIT");
      options.onProgress?.({ phase: "accounts", done: from + rows.length, total });
    }
    // Fresh statistics, so the planner reads the new rows through the indexes at once.
    await client.query(`ANALYZE "MediaAccount", "AccountKey"`);
    return { added: total - existing, total, ms: performance.now() - started };
  } finally {
    await client.end();
  }
}
