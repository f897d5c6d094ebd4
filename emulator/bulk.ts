/**
 * Bulk test controls for scale seeding (`npm run seed:scale`): vaults with one RSA key, and many
 * managed identities with their access policies, in one request each instead of one ARM call per
 * identity and per grant. Served under /_emulator only when test controls are on.
 */
import { z } from "zod";
import { publicJwk } from "./key-crypto";
import { reply, type Reply } from "./http";
import { vault as newVault } from "./seed";
import type { StateStore } from "./state";

const Name = z.string().regex(/^[a-z0-9-]{3,24}$/);
const Uuid = z.string().uuid();

export const BulkVaultInput = z.object({
  name: Name,
  subscriptionId: Uuid,
  resourceGroup: z.string().min(1).max(90),
  location: z.string().min(1).max(40),
  tenantId: Uuid,
  keyName: z.string().regex(/^[A-Za-z0-9-]{1,127}$/),
});

/** At most 2,000 identities a request: the body stays under the emulator's 1 MB limit. */
export const BulkIdentitiesInput = z.object({
  identities: z
    .array(
      z.object({
        principalId: Uuid,
        clientId: Uuid,
        tenantId: Uuid,
        resourceId: z.string().min(1).max(400),
        location: z.string().min(1).max(40),
        /** Vaults whose keys this identity may get, wrap and unwrap (an access policy each). */
        grants: z.array(Name).max(10),
      }),
    )
    .max(2000),
});

const badRequest = (error: z.ZodError): Reply =>
  reply(400, {
    error: {
      code: "BadParameter",
      message: error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
    },
  });

/** Creates the vault with a 2048-bit RSA key unless it exists; answers its latest version and public key. */
export async function bulkVault(store: StateStore, body: unknown, vaultUri: (name: string) => string): Promise<Reply> {
  const parsed = BulkVaultInput.safeParse(body);
  if (!parsed.success) return badRequest(parsed.error);
  const input = parsed.data;
  let vault = store.state.vaults[input.name];
  if (!vault) {
    vault = await newVault({ ...input, purgeProtection: true }, [], { [input.keyName]: ["RSA", { size: 2048 }] });
    store.state.vaults[input.name] = vault;
    await store.save();
  }
  const key = vault.keys[input.keyName];
  if (!key) return reply(409, { error: { code: "Conflict", message: `The vault has no key ${input.keyName}.` } });
  const latest = key.versions.at(-1)!;
  return reply(200, {
    vaultUri: vaultUri(input.name),
    keyId: `${vaultUri(input.name)}/keys/${input.keyName}/${latest.version}`,
    publicKey: publicJwk(latest.jwk),
  });
}

/** Adds managed identities (replacing any with the same principal id) and their access policies. */
export async function bulkIdentities(store: StateStore, body: unknown): Promise<Reply> {
  const parsed = BulkIdentitiesInput.safeParse(body);
  if (!parsed.success) return badRequest(parsed.error);
  const { identities } = parsed.data;
  const unknownVault = identities.flatMap((i) => i.grants).find((v) => !store.state.vaults[v]);
  if (unknownVault)
    return reply(404, { error: { code: "VaultNotFound", message: `The vault ${unknownVault} does not exist.` } });
  for (const { grants, ...identity } of identities) {
    store.state.identities[identity.principalId] = { ...identity, kind: "SystemAssigned" };
    for (const name of grants) {
      store.state.vaults[name]!.properties.accessPolicies.push({
        tenantId: identity.tenantId,
        objectId: identity.principalId,
        permissions: { keys: ["get", "wrapKey", "unwrapKey"] },
      });
    }
  }
  await store.save();
  return reply(200, { added: identities.length });
}
