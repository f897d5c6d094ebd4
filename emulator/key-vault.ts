/**
 * Key Vault keys data plane at https://{vault}.vault.localhost:{port}, as @azure/keyvault-keys
 * calls it. Every call is authenticated (401 challenge, then a verified bearer token for
 * https://vault.localhost from the vault's tenant) and authorized by the vault's access policies
 * or, with enableRbacAuthorization, by role assignments.
 *
 * As in Azure: a disabled key can still be read (enabled: false) but not used; an unknown vault
 * answers 404 VaultNotFound here, where in Azure its DNS name would not resolve.
 */
import { randomBytes } from "node:crypto";
import { keyEventData, type EventGrid } from "./event-grid";
import { reply, ReplyError, type EmuRequest, type Reply } from "./http";
import {
  generateKey,
  importableJwk,
  KeyMaterialError,
  publicJwk,
  rsaAlgorithms,
  rsaDecrypt,
  rsaEncrypt,
  rsaSize,
  type RsaAlgorithm,
} from "./key-crypto";
import type { KeyRecord, KeyVersion, StateStore, Vault } from "./state";
import { TokenError, type TokenClaims, type TokenService } from "./tokens";
import { scopeIncludes } from "./roles";
import { vaultResourceId } from "./vault-ids";

export const keyVaultAudience = "https://vault.localhost";

export interface KeyVaultCall {
  vault: string;
  key?: string;
  operation: string;
}

type Permission =
  | "get"
  | "list"
  | "create"
  | "import"
  | "update"
  | "delete"
  | "recover"
  | "purge"
  | "rotate"
  | "wrapKey"
  | "unwrapKey"
  | "encrypt"
  | "decrypt";

interface Context {
  req: EmuRequest;
  vault: Vault;
  params: Record<string, string>;
  claims: TokenClaims;
}

interface Route {
  method: string;
  pattern: RegExp;
  operation: Permission | "getDeleted" | "listDeleted" | "listVersions";
  permission: Permission;
  run(ctx: Context): Promise<Reply> | Reply;
}

/** What each RBAC role allows on keys (data actions of Azure's built-in roles). */
const rolePermissions: Record<string, readonly Permission[] | "all"> = {
  "Key Vault Administrator": "all",
  "Key Vault Crypto Officer": "all",
  "Key Vault Crypto User": ["get", "list", "update", "wrapKey", "unwrapKey", "encrypt", "decrypt"],
  "Key Vault Crypto Service Encryption User": ["get", "wrapKey", "unwrapKey"],
  "Key Vault Reader": ["get", "list"],
};

const kvError = (status: number, code: string, message: string, inner?: string): ReplyError =>
  new ReplyError(reply(status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } }));

const seconds = (ms: number) => Math.floor(ms / 1000);
const now = () => seconds(Date.now());
const newVersion = () => randomBytes(16).toString("hex");

export function keyVaultDataPlane(store: StateStore, tokens: TokenService, port: () => number, grid?: EventGrid) {
  const { state } = store;
  const vaultUrl = (vault: Vault) => `https://${vault.name}.vault.localhost:${port()}`;
  /** Key Vault's KeyNewVersionCreated: a key's first version counts, as in Azure. */
  const announceVersion = (vault: Vault, rec: KeyRecord, v: KeyVersion) =>
    grid?.publish(
      vault,
      "Microsoft.KeyVault.KeyNewVersionCreated",
      rec.name,
      keyEventData(vault, rec.name, v.version, v.attributes, vaultUrl(vault)),
    );

  function recovery(vault: Vault) {
    const p = vault.properties;
    if (!p.enableSoftDelete) return { recoveryLevel: "Purgeable" };
    return {
      recoveryLevel: p.enablePurgeProtection ? "Recoverable" : "Recoverable+Purgeable",
      recoverableDays: p.softDeleteRetentionInDays,
    };
  }

  function attributes(vault: Vault, v: KeyVersion) {
    const a = v.attributes;
    return {
      enabled: a.enabled,
      ...(a.nbf ? { nbf: a.nbf } : {}),
      ...(a.exp ? { exp: a.exp } : {}),
      created: a.created,
      updated: a.updated,
      ...recovery(vault),
      exportable: false,
    };
  }

  function bundle(vault: Vault, rec: KeyRecord, v: KeyVersion) {
    return {
      key: {
        kid: `${vaultUrl(vault)}/keys/${rec.name}/${v.version}`,
        kty: v.kty,
        key_ops: v.keyOps,
        ...publicJwk(v.jwk),
      },
      attributes: attributes(vault, v),
      ...(v.tags ? { tags: v.tags } : {}),
    };
  }

  function deletedExtras(vault: Vault, name: string) {
    const d = vault.deletedKeys[name.toLowerCase()]!;
    return {
      recoveryId: `${vaultUrl(vault)}/deletedkeys/${d.key.name}`,
      deletedDate: seconds(d.deletedDate),
      scheduledPurgeDate: seconds(d.scheduledPurgeDate),
    };
  }

  const latest = (rec: KeyRecord) => rec.versions[rec.versions.length - 1]!;

  function keyOf(vault: Vault, name: string): KeyRecord {
    const rec = vault.keys[name.toLowerCase()];
    if (!rec)
      throw kvError(
        404,
        "KeyNotFound",
        `A key with (name/id) ${name} was not found in this key vault. If you recently deleted this key you may be able to recover it using the correct recovery command.`,
      );
    return rec;
  }

  function versionOf(vault: Vault, name: string, version: string | undefined): { rec: KeyRecord; v: KeyVersion } {
    const rec = keyOf(vault, name);
    const v = version ? rec.versions.find((x) => x.version === version.toLowerCase()) : latest(rec);
    if (!v)
      throw kvError(404, "KeyNotFound", `A key with (name/id) ${name}/${version} was not found in this key vault.`);
    return { rec, v };
  }

  function body(req: EmuRequest): Record<string, unknown> {
    const b = req.body;
    if (b !== undefined && (typeof b !== "object" || b === null || Array.isArray(b)))
      throw kvError(400, "BadParameter", "The request body must be a JSON object.");
    return (b ?? {}) as Record<string, unknown>;
  }

  function attributesFrom(input: unknown, base?: KeyVersion["attributes"]): KeyVersion["attributes"] {
    const a = (input ?? {}) as Record<string, unknown>;
    const t = now();
    const num = (x: unknown) => (typeof x === "number" ? x : undefined);
    return {
      enabled: typeof a.enabled === "boolean" ? a.enabled : (base?.enabled ?? true),
      nbf: "nbf" in a ? num(a.nbf) : base?.nbf,
      exp: "exp" in a ? num(a.exp) : base?.exp,
      created: base?.created ?? t,
      updated: t,
    };
  }

  async function persist(reply: Reply): Promise<Reply> {
    await store.save();
    return reply;
  }

  function refuseIfDeleted(vault: Vault, name: string) {
    if (vault.deletedKeys[name.toLowerCase()]) {
      throw kvError(
        409,
        "Conflict",
        `Key ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the key can only be recovered or purged.`,
      );
    }
  }

  function addVersion(vault: Vault, name: string, v: KeyVersion): KeyRecord {
    const id = name.toLowerCase();
    vault.keys[id] ??= { name, versions: [] };
    vault.keys[id].versions.push(v);
    announceVersion(vault, vault.keys[id], v);
    return vault.keys[id];
  }

  const defaultOps = (kty: string) =>
    kty.startsWith("RSA") ? ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"] : ["sign", "verify"];

  async function crypto(ctx: Context, operation: "wrapKey" | "unwrapKey" | "encrypt" | "decrypt"): Promise<Reply> {
    const { vault, params } = ctx;
    const { rec, v } = versionOf(vault, params.name!, params.version || undefined);
    const t = now();
    if (!v.attributes.enabled)
      throw kvError(403, "Forbidden", `Operation ${operation} is not allowed on a disabled key.`, "KeyDisabled");
    if (v.attributes.exp && v.attributes.exp < t)
      throw kvError(403, "Forbidden", `Operation ${operation} is not allowed on an expired key.`, "KeyExpired");
    if (v.attributes.nbf && v.attributes.nbf > t)
      throw kvError(
        403,
        "Forbidden",
        `Operation ${operation} is not allowed on a key that is not yet valid.`,
        "KeyNotYetValid",
      );
    const input = body(ctx.req);
    const alg = String(input.alg ?? "");
    if (!(rsaAlgorithms as readonly string[]).includes(alg))
      throw kvError(400, "BadParameter", `Invalid algorithm '${alg}': use RSA-OAEP, RSA-OAEP-256 or RSA1_5.`);
    if (!v.kty.startsWith("RSA"))
      throw kvError(400, "BadParameter", `Algorithm ${alg} is not supported for ${v.kty} keys.`);
    if (!v.keyOps.includes(operation))
      throw kvError(
        403,
        "Forbidden",
        `Operation ${operation} is not permitted on this key (key_ops: ${v.keyOps.join(", ")}).`,
        "KeyOperationForbidden",
      );
    if (typeof input.value !== "string" || !/^[A-Za-z0-9_-]*={0,2}$/.test(input.value))
      throw kvError(400, "BadParameter", "value must be base64url.");
    const data = Buffer.from(input.value, "base64url");
    let out: Buffer;
    try {
      out =
        operation === "wrapKey" || operation === "encrypt"
          ? rsaEncrypt(v.jwk, alg as RsaAlgorithm, data)
          : rsaDecrypt(v.jwk, alg as RsaAlgorithm, data);
    } catch (err) {
      throw kvError(
        400,
        "BadParameter",
        err instanceof KeyMaterialError ? err.message : "The value is too long for this key and algorithm.",
      );
    }
    return reply(200, { kid: `${vaultUrl(vault)}/keys/${rec.name}/${v.version}`, value: out.toString("base64url") });
  }

  const name = "(?<name>[0-9a-zA-Z-]{1,127})";
  const version = "(?<version>[0-9a-fA-F]{32})";
  const routes: Route[] = [
    {
      method: "POST",
      pattern: new RegExp(`^/keys/${name}/create$`),
      operation: "create",
      permission: "create",
      async run({ req, vault, params }) {
        refuseIfDeleted(vault, params.name!);
        const input = body(req);
        const kty = String(input.kty ?? "");
        let jwk;
        try {
          jwk = await generateKey(kty, {
            size: typeof input.key_size === "number" ? input.key_size : undefined,
            curve: typeof input.crv === "string" ? input.crv : undefined,
          });
        } catch (err) {
          if (err instanceof KeyMaterialError) throw kvError(400, "BadParameter", err.message);
          throw err;
        }
        const v: KeyVersion = {
          version: newVersion(),
          jwk,
          kty: kty as KeyVersion["kty"],
          keyOps: Array.isArray(input.key_ops) ? input.key_ops.map(String) : defaultOps(kty),
          attributes: attributesFrom(input.attributes),
          tags: input.tags as Record<string, string> | undefined,
        };
        const rec = addVersion(vault, params.name!, v);
        return persist(reply(200, bundle(vault, rec, v)));
      },
    },
    {
      method: "PUT",
      pattern: new RegExp(`^/keys/${name}$`),
      operation: "import",
      permission: "import",
      async run({ req, vault, params }) {
        refuseIfDeleted(vault, params.name!);
        const input = body(req);
        let jwk;
        try {
          jwk = importableJwk((input.key ?? {}) as Record<string, unknown>);
        } catch (err) {
          throw kvError(400, "BadParameter", (err as Error).message);
        }
        const hsm = input.Hsm === true || String((input.key as Record<string, unknown>)?.kty).endsWith("-HSM");
        const kty = `${jwk.kty}${hsm ? "-HSM" : ""}` as KeyVersion["kty"];
        const ops = (input.key as Record<string, unknown>)?.key_ops;
        const v: KeyVersion = {
          version: newVersion(),
          jwk,
          kty,
          keyOps: Array.isArray(ops) ? ops.map(String) : defaultOps(kty),
          attributes: attributesFrom(input.attributes),
          tags: input.tags as Record<string, string> | undefined,
        };
        return persist(reply(200, bundle(vault, addVersion(vault, params.name!, v), v)));
      },
    },
    {
      method: "GET",
      pattern: /^\/keys\/?$/,
      operation: "list",
      permission: "list",
      run: ({ vault }) =>
        reply(200, {
          value: Object.values(vault.keys).map((rec) => ({
            kid: `${vaultUrl(vault)}/keys/${rec.name}`,
            attributes: attributes(vault, latest(rec)),
            ...(latest(rec).tags ? { tags: latest(rec).tags } : {}),
          })),
          nextLink: null,
        }),
    },
    {
      method: "GET",
      pattern: new RegExp(`^/keys/${name}/versions/?$`),
      operation: "listVersions",
      permission: "list",
      run: ({ vault, params }) => {
        const rec = keyOf(vault, params.name!);
        return reply(200, {
          value: rec.versions.map((v) => ({
            kid: `${vaultUrl(vault)}/keys/${rec.name}/${v.version}`,
            attributes: attributes(vault, v),
            ...(v.tags ? { tags: v.tags } : {}),
          })),
          nextLink: null,
        });
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/keys/${name}/rotate$`),
      operation: "rotate",
      permission: "rotate",
      async run({ vault, params }) {
        const rec = keyOf(vault, params.name!);
        const current = latest(rec);
        const jwk = await generateKey(current.kty, {
          size: current.jwk.n ? rsaSize(current.jwk) : undefined,
          curve: current.jwk.crv,
        });
        const v: KeyVersion = {
          version: newVersion(),
          jwk,
          kty: current.kty,
          keyOps: [...current.keyOps],
          attributes: attributesFrom({}),
          tags: current.tags,
        };
        rec.versions.push(v);
        announceVersion(vault, rec, v);
        return persist(reply(200, bundle(vault, rec, v)));
      },
    },
    ...(["wrapKey", "unwrapKey", "encrypt", "decrypt"] as const).map((op): Route => ({
      method: "POST",
      pattern: new RegExp(`^/keys/${name}(?:/(?<version>[0-9a-fA-F]{32})?)?/${op.toLowerCase()}$`, "i"),
      operation: op,
      permission: op,
      run: (ctx) => crypto(ctx, op),
    })),
    {
      method: "GET",
      pattern: new RegExp(`^/keys/${name}(?:/${version}?)?/?$`),
      operation: "get",
      permission: "get",
      run: ({ vault, params }) => {
        const { rec, v } = versionOf(vault, params.name!, params.version || undefined);
        return reply(200, bundle(vault, rec, v));
      },
    },
    {
      method: "PATCH",
      pattern: new RegExp(`^/keys/${name}(?:/${version}?)?/?$`),
      operation: "update",
      permission: "update",
      async run({ req, vault, params }) {
        const { rec, v } = versionOf(vault, params.name!, params.version || undefined);
        const input = body(req);
        v.attributes = attributesFrom(input.attributes, v.attributes);
        if (Array.isArray(input.key_ops)) v.keyOps = input.key_ops.map(String);
        if (input.tags && typeof input.tags === "object") v.tags = input.tags as Record<string, string>;
        return persist(reply(200, bundle(vault, rec, v)));
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/keys/${name}$`),
      operation: "delete",
      permission: "delete",
      async run({ vault, params }) {
        const rec = keyOf(vault, params.name!);
        const id = rec.name.toLowerCase();
        delete vault.keys[id];
        const result = bundle(vault, rec, latest(rec));
        if (!vault.properties.enableSoftDelete) return persist(reply(200, result));
        const at = Date.now();
        vault.deletedKeys[id] = {
          key: rec,
          deletedDate: at,
          scheduledPurgeDate: at + vault.properties.softDeleteRetentionInDays * 86_400_000,
        };
        return persist(reply(200, { ...result, ...deletedExtras(vault, id) }));
      },
    },
    {
      method: "GET",
      pattern: /^\/deletedkeys\/?$/,
      operation: "listDeleted",
      permission: "list",
      run: ({ vault }) =>
        reply(200, {
          value: Object.values(vault.deletedKeys).map((d) => ({
            kid: `${vaultUrl(vault)}/keys/${d.key.name}`,
            attributes: attributes(vault, latest(d.key)),
            ...deletedExtras(vault, d.key.name),
          })),
          nextLink: null,
        }),
    },
    {
      method: "GET",
      pattern: new RegExp(`^/deletedkeys/${name}/?$`),
      operation: "getDeleted",
      permission: "get",
      run: ({ vault, params }) => {
        const d = vault.deletedKeys[params.name!.toLowerCase()];
        if (!d) throw kvError(404, "KeyNotFound", `Deleted Key not found: ${params.name}`);
        return reply(200, { ...bundle(vault, d.key, latest(d.key)), ...deletedExtras(vault, params.name!) });
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/deletedkeys/${name}/recover$`),
      operation: "recover",
      permission: "recover",
      async run({ vault, params }) {
        const id = params.name!.toLowerCase();
        const d = vault.deletedKeys[id];
        if (!d) throw kvError(404, "KeyNotFound", `Deleted Key not found: ${params.name}`);
        delete vault.deletedKeys[id];
        vault.keys[id] = d.key;
        return persist(reply(200, bundle(vault, d.key, latest(d.key))));
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/deletedkeys/${name}$`),
      operation: "purge",
      permission: "purge",
      async run({ vault, params }) {
        const id = params.name!.toLowerCase();
        if (!vault.deletedKeys[id]) throw kvError(404, "KeyNotFound", `Deleted Key not found: ${params.name}`);
        if (vault.properties.enablePurgeProtection) {
          throw kvError(
            403,
            "Forbidden",
            `Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: ${vault.name};location=${vault.location}`,
          );
        }
        delete vault.deletedKeys[id];
        return persist({ status: 204 });
      },
    },
  ];

  function challenge(vault: Vault | undefined): Record<string, string> {
    const tenant = vault?.properties.tenantId ?? "common";
    return {
      "WWW-Authenticate": `Bearer authorization="${tokens.authority}/${tenant}", resource="${keyVaultAudience}"`,
    };
  }

  async function authenticate(req: EmuRequest, vault: Vault): Promise<TokenClaims> {
    const unauthorized = (message: string) =>
      new ReplyError(reply(401, { error: { code: "Unauthorized", message } }, challenge(vault)));
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer) throw unauthorized("AKV10000: Request is missing a Bearer or PoP token.");
    let claims: TokenClaims;
    try {
      claims = await tokens.verify(bearer, [keyVaultAudience]);
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      const prefix =
        { audience: "AKV10022: Invalid audience. ", issuer: "AKV10032: Invalid issuer. " }[err.reason as string] ?? "";
      throw unauthorized(`${prefix}${err.message}`);
    }
    if (claims.tid !== vault.properties.tenantId) {
      throw unauthorized(
        `AKV10032: Invalid issuer. Expected one of ${tokens.issuer(vault.properties.tenantId)}, found ${claims.iss}.`,
      );
    }
    return claims;
  }

  /** With RBAC, a role assigned on one key (its scope `{vault id}/keys/{name}`) covers that key only, as in Azure. */
  function authorize(vault: Vault, claims: TokenClaims, permission: Permission, keyName?: string) {
    const caller = `appid=${claims.appid ?? "-"};oid=${claims.oid};iss=${claims.iss}`;
    if (vault.properties.enableRbacAuthorization) {
      const vaultId = vaultResourceId(vault).toLowerCase();
      const id = keyName ? `${vaultId}/keys/${keyName.toLowerCase()}` : vaultId;
      const allowed = state.roleAssignments.some((a) => {
        if (a.principalId !== claims.oid || !scopeIncludes(a.scope, id)) return false;
        const perms = rolePermissions[a.roleName];
        return perms === "all" || (perms?.includes(permission) ?? false);
      });
      if (!allowed) {
        throw kvError(
          403,
          "Forbidden",
          `Caller is not authorized to perform action on resource.\r\nCaller: ${caller}\r\nAction: 'Microsoft.KeyVault/vaults/keys/${permission}'\r\nResource: '${id}'\r\nAssignment: (not found)\r\nVault: ${vault.name};location=${vault.location}`,
          "ForbiddenByRbac",
        );
      }
      return;
    }
    const granted = vault.properties.accessPolicies
      .filter((p) => p.objectId === claims.oid && p.tenantId === claims.tid)
      .flatMap((p) => p.permissions.keys ?? [])
      .map((p) => p.toLowerCase());
    if (!granted.includes(permission.toLowerCase()) && !granted.includes("all")) {
      throw kvError(
        403,
        "Forbidden",
        `The user, group or application '${caller}' does not have keys ${permission} permission on key vault '${vault.name};location=${vault.location}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
        "ForbiddenByPolicy",
      );
    }
  }

  return {
    /** Which vault, key and operation a request is, before it is authenticated (for counters and faults). */
    classify(req: EmuRequest, vaultName: string): KeyVaultCall {
      if (!req.headers.authorization) return { vault: vaultName, operation: "challenge" };
      for (const route of routes) {
        const m = route.pattern.exec(req.url.pathname);
        if (m && route.method === req.method)
          return { vault: vaultName, key: m.groups?.name, operation: route.operation };
      }
      return { vault: vaultName, operation: "unknown" };
    },

    async handle(req: EmuRequest, vaultName: string): Promise<Reply> {
      const vault = state.vaults[vaultName];
      if (!vault)
        return reply(404, {
          error: {
            code: "VaultNotFound",
            message: `The vault '${vaultName}' does not exist. (In Azure its DNS name would not resolve.)`,
          },
        });
      if (!req.url.searchParams.get("api-version"))
        return reply(400, { error: { code: "BadParameter", message: "The api-version query parameter is required." } });
      const claims = await authenticate(req, vault);
      for (const route of routes) {
        const match = route.pattern.exec(req.url.pathname);
        if (!match || route.method !== req.method) continue;
        authorize(vault, claims, route.permission, match.groups?.name);
        const params = Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, v ?? ""]));
        return route.run({ req, vault, params, claims });
      }
      return reply(400, {
        error: {
          code: "BadParameter",
          message: `${req.method} ${req.url.pathname} is not a Key Vault keys operation.`,
        },
      });
    },
  };
}
