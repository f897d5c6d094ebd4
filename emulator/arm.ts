/**
 * Azure Resource Manager at https://localhost:{port}: resource groups, Key Vault vaults (with
 * soft delete, purge protection, recovery and access policies), managed identities, role
 * assignments and storage accounts as metadata. Every call needs a verified bearer token for the
 * management endpoint and a role assignment on the target's scope (Owner/Contributor write,
 * any role reads), as ARM's RBAC does.
 *
 * Requests for Microsoft.Media are forwarded to the portal's REST API, as ARM forwards to a
 * resource provider (see forwardToResourceProvider in server.ts).
 */
import { randomUUID } from "node:crypto";
import { reply, ReplyError, Router, type EmuRequest, type Reply } from "./http";
import type { AccessPolicy, Identity, StateStore, Vault } from "./state";
import { TokenError, type TokenClaims, type TokenService } from "./tokens";
import { builtInRoles, roleDefinitions, scopeIncludes } from "./roles";
import { vaultResourceId } from "./vault-ids";
import type { ArmAuth, EventGrid } from "./event-grid";

const armError = (status: number, code: string, message: string) =>
  new ReplyError(reply(status, { error: { code, message } }));
const writerRoles = new Set(["Owner", "Contributor", "Key Vault Contributor"]);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Body = Record<string, unknown>;
const asObject = (x: unknown): Body => (x && typeof x === "object" && !Array.isArray(x) ? (x as Body) : {});

export function armRoutes(store: StateStore, tokens: TokenService, port: () => number, grid?: EventGrid) {
  const { state } = store;
  const endpoint = () => `https://localhost:${port()}`;

  async function caller(req: EmuRequest): Promise<TokenClaims> {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer)
      throw armError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
    try {
      return await tokens.verify(bearer, [endpoint(), "https://management.localhost"]);
    } catch (err) {
      if (err instanceof TokenError)
        throw armError(
          401,
          err.reason === "expired" ? "ExpiredAuthenticationToken" : "InvalidAuthenticationToken",
          `The access token is invalid: ${err.message}`,
        );
      throw err;
    }
  }

  function subscriptionOf(id: string, claims: TokenClaims) {
    const sub = state.subscriptions[id.toLowerCase()];
    if (!sub) throw armError(404, "SubscriptionNotFound", `The subscription '${id}' could not be found.`);
    if (sub.tenantId !== claims.tid) {
      throw armError(
        401,
        "InvalidAuthenticationTokenTenant",
        `The access token is from the wrong issuer '${claims.iss}'. It must match the tenant associated with this subscription.`,
      );
    }
    return sub;
  }

  function rolesAt(scope: string, principalId: string): string[] {
    return state.roleAssignments
      .filter((a) => a.principalId === principalId && scopeIncludes(a.scope, scope))
      .map((a) => a.roleName);
  }

  function canRead(scope: string, claims: TokenClaims) {
    return rolesAt(scope, claims.oid).length > 0;
  }

  function authorizeScope(scope: string, claims: TokenClaims, action: string, write: boolean, allowed = writerRoles) {
    const roles = rolesAt(scope, claims.oid);
    if (write ? roles.some((r) => allowed.has(r)) : roles.length > 0) return;
    throw armError(
      403,
      "AuthorizationFailed",
      `The client '${claims.oid}' with object id '${claims.oid}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  /**
   * A trusted resource provider (the portal, for Microsoft.Media) asks for the identity of one of
   * its own resources, in any tenant, as Azure's first-party providers do: the resource's tenant.
   */
  function asResourceProvider(claims: TokenClaims, resourceId: string): string | null {
    const trusted = (state.resourceProviderApps ?? []).includes(claims.appid ?? "");
    if (!trusted || !/\/providers\/Microsoft\.Media\//i.test(resourceId)) return null;
    const sub = state.subscriptions[resourceId.split("/")[2]!.toLowerCase()];
    if (!sub) throw armError(404, "SubscriptionNotFound", `The subscription of '${resourceId}' could not be found.`);
    return sub.tenantId;
  }

  function resourceGroupOf(sub: string, rg: string) {
    const group = state.resourceGroups[`${sub}/${rg}`.toLowerCase()];
    if (!group) throw armError(404, "ResourceGroupNotFound", `Resource group '${rg}' could not be found.`);
    return group;
  }

  /** Key Vault's VaultAccessPolicyChanged, when a write changed the vault's access policies. */
  function announcePolicies(v: Vault, before: string) {
    if (JSON.stringify(v.properties.accessPolicies) === before) return;
    grid?.publish(v, "Microsoft.KeyVault.VaultAccessPolicyChanged", v.name, {
      Id: `https://${v.name}.vault.localhost:${port()}`,
      ObjectType: "Vault",
      ObjectName: v.name,
      Version: null,
      NBF: null,
      EXP: null,
    });
  }

  function vaultJson(v: Vault) {
    return {
      id: vaultResourceId(v),
      name: v.name,
      type: "Microsoft.KeyVault/vaults",
      location: v.location,
      tags: v.tags ?? {},
      properties: {
        ...v.properties,
        vaultUri: `https://${v.name}.vault.localhost:${port()}/`,
        provisioningState: "Succeeded",
        publicNetworkAccess: "Enabled",
      },
    };
  }

  function deletedVaultJson(name: string) {
    const d = state.deletedVaults[name]!;
    return {
      id: `/subscriptions/${d.vault.subscriptionId}/providers/Microsoft.KeyVault/locations/${d.vault.location}/deletedVaults/${d.vault.name}`,
      name: d.vault.name,
      type: "Microsoft.KeyVault/deletedVaults",
      properties: {
        vaultId: vaultResourceId(d.vault),
        location: d.vault.location,
        deletionDate: new Date(d.deletionDate).toISOString(),
        scheduledPurgeDate: new Date(d.scheduledPurgeDate).toISOString(),
        tags: d.vault.tags ?? {},
        purgeProtectionEnabled: d.vault.properties.enablePurgeProtection,
      },
    };
  }

  function visibleVaults(claims: TokenClaims, sub: string, rg?: string) {
    return Object.values(state.vaults)
      .filter(
        (v) => v.subscriptionId === sub.toLowerCase() && (!rg || v.resourceGroup.toLowerCase() === rg.toLowerCase()),
      )
      .filter((v) => canRead(vaultResourceId(v), claims))
      .map(vaultJson);
  }

  function vaultIn(p: Record<string, string>): Vault {
    const v = state.vaults[p.vault!.toLowerCase()];
    if (!v || v.subscriptionId !== p.sub!.toLowerCase() || v.resourceGroup.toLowerCase() !== p.rg!.toLowerCase()) {
      throw armError(
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.KeyVault/vaults/${p.vault}' under resource group '${p.rg}' was not found.`,
      );
    }
    return v;
  }

  function parseAccessPolicies(input: unknown, tenantId: string): AccessPolicy[] {
    if (input === undefined) return [];
    if (!Array.isArray(input)) throw armError(400, "BadRequest", "properties.accessPolicies must be an array.");
    return input.map((raw) => {
      const p = asObject(raw);
      const perms = asObject(p.permissions);
      if (typeof p.objectId !== "string" || !uuid.test(p.objectId))
        throw armError(400, "BadRequest", "Each access policy needs an objectId (a GUID).");
      return {
        tenantId: typeof p.tenantId === "string" ? p.tenantId.toLowerCase() : tenantId,
        objectId: p.objectId.toLowerCase(),
        permissions: {
          keys: Array.isArray(perms.keys) ? perms.keys.map(String) : [],
          ...(Array.isArray(perms.secrets) ? { secrets: perms.secrets.map(String) } : {}),
        },
      };
    });
  }

  /** Create or update (PUT replaces what it names; PATCH merges). */
  async function putVault(
    req: EmuRequest,
    p: Record<string, string>,
    claims: TokenClaims,
    patch: boolean,
  ): Promise<Reply> {
    const sub = subscriptionOf(p.sub!, claims);
    const group = resourceGroupOf(sub.id, p.rg!);
    const scope = `/subscriptions/${sub.id}/resourceGroups/${group.name}/providers/Microsoft.KeyVault/vaults/${p.vault}`;
    authorizeScope(scope, claims, "Microsoft.KeyVault/vaults/write", true);
    const name = p.vault!;
    if (!/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/.test(name))
      throw armError(
        400,
        "VaultNameNotValid",
        `The vault name '${name}' is invalid: 3-24 letters, digits and hyphens, starting with a letter.`,
      );
    const body = asObject(req.body);
    const props = asObject(body.properties);
    const id = name.toLowerCase();
    let existing = state.vaults[id];
    if (
      existing &&
      (existing.subscriptionId !== sub.id || existing.resourceGroup.toLowerCase() !== group.name.toLowerCase())
    ) {
      throw armError(
        409,
        "VaultAlreadyExists",
        `The vault name '${name}' is already in use. Vault names are globally unique.`,
      );
    }
    if (!existing && state.deletedVaults[id]) {
      if (props.createMode !== "recover") {
        throw armError(
          409,
          "ConflictError",
          `A vault with the same name already exists in deleted state. You need to either recover or purge existing key vault. Follow this link https://go.microsoft.com/fwlink/?linkid=2149745 for more information on soft delete.`,
        );
      }
      existing = state.deletedVaults[id]!.vault;
      delete state.deletedVaults[id];
      state.vaults[id] = existing;
      await store.save();
      return reply(200, vaultJson(existing));
    }
    if (patch && !existing)
      throw armError(
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.KeyVault/vaults/${name}' under resource group '${p.rg}' was not found.`,
      );
    const location =
      typeof body.location === "string" ? body.location.toLowerCase().replace(/\s+/g, "") : existing?.location;
    if (!location) throw armError(400, "LocationRequired", "The location property is required for this definition.");
    if (existing && location !== existing.location)
      throw armError(
        400,
        "InvalidResourceLocation",
        `The resource '${name}' already exists in location '${existing.location}'.`,
      );
    const tenantId = typeof props.tenantId === "string" ? props.tenantId.toLowerCase() : existing?.properties.tenantId;
    if (!tenantId || !uuid.test(tenantId))
      throw armError(400, "BadRequest", "properties.tenantId is required (a GUID).");
    const sku = asObject(props.sku);
    if (!existing && !sku.name) throw armError(400, "BadRequest", "properties.sku is required.");
    const prev = existing?.properties;
    const purgeProtection =
      typeof props.enablePurgeProtection === "boolean"
        ? props.enablePurgeProtection
        : (prev?.enablePurgeProtection ?? false);
    if (prev?.enablePurgeProtection && !purgeProtection) {
      throw armError(
        400,
        "BadRequest",
        'The property "enablePurgeProtection" cannot be set to false. Enabling the purge protection for a vault is an irreversible action.',
      );
    }
    const softDelete =
      typeof props.enableSoftDelete === "boolean" ? props.enableSoftDelete : (prev?.enableSoftDelete ?? true);
    if (prev?.enableSoftDelete && !softDelete)
      throw armError(400, "BadRequest", 'The property "enableSoftDelete" cannot be set to false once enabled.');
    if (purgeProtection && !softDelete) throw armError(400, "BadRequest", "Purge protection requires soft delete.");
    const retention =
      typeof props.softDeleteRetentionInDays === "number"
        ? props.softDeleteRetentionInDays
        : (prev?.softDeleteRetentionInDays ?? 90);
    if (!Number.isInteger(retention) || retention < 7 || retention > 90)
      throw armError(400, "BadRequest", "softDeleteRetentionInDays must be between 7 and 90.");
    const vault: Vault = {
      name: existing?.name ?? name,
      subscriptionId: sub.id,
      resourceGroup: group.name,
      location,
      tags: body.tags !== undefined ? (asObject(body.tags) as Record<string, string>) : existing?.tags,
      properties: {
        tenantId,
        sku: { family: String(sku.family ?? prev?.sku.family ?? "A"), name: String(sku.name ?? prev?.sku.name) },
        accessPolicies:
          props.accessPolicies !== undefined || !patch
            ? parseAccessPolicies(props.accessPolicies, tenantId)
            : prev!.accessPolicies,
        enableSoftDelete: softDelete,
        softDeleteRetentionInDays: retention,
        enablePurgeProtection: purgeProtection,
        enableRbacAuthorization:
          typeof props.enableRbacAuthorization === "boolean"
            ? props.enableRbacAuthorization
            : (prev?.enableRbacAuthorization ?? false),
      },
      keys: existing?.keys ?? {},
      deletedKeys: existing?.deletedKeys ?? {},
    };
    state.vaults[id] = vault;
    await store.save();
    if (existing) announcePolicies(vault, JSON.stringify(existing.properties.accessPolicies));
    return reply(existing ? 200 : 201, vaultJson(vault));
  }

  async function putIdentity(
    kind: Identity["kind"],
    resourceId: string,
    location: string | undefined,
    tenantId: string,
  ): Promise<Identity> {
    const existing = Object.values(state.identities).find(
      (i) => i.resourceId.toLowerCase() === resourceId.toLowerCase() && i.kind === kind,
    );
    if (existing) return existing;
    const identity: Identity = {
      principalId: randomUUID(),
      clientId: randomUUID(),
      tenantId,
      kind,
      resourceId,
      location,
    };
    state.identities[identity.principalId] = identity;
    await store.save();
    return identity;
  }

  const sub = "/subscriptions/(?<sub>[^/]+)";
  const rg = `${sub}/resourceGroups/(?<rg>[^/]+)`;
  const vaultPath = `${rg}/providers/Microsoft\\.KeyVault/vaults/(?<vault>[^/]+)`;
  const uami = `${rg}/providers/Microsoft\\.ManagedIdentity/userAssignedIdentities/(?<name>[^/]+)`;
  const re = (s: string) => new RegExp(`^${s}/?$`, "i");

  const router = new Router()
    .on("GET", re("/subscriptions"), async (req) => {
      const claims = await caller(req);
      const value = Object.values(state.subscriptions)
        // As in Azure, a role anywhere in a subscription (a vault's Reader) lists the subscription.
        .filter(
          (s) =>
            s.tenantId === claims.tid &&
            state.roleAssignments.some(
              (a) =>
                a.principalId === claims.oid &&
                (scopeIncludes(a.scope, `/subscriptions/${s.id}`) || scopeIncludes(`/subscriptions/${s.id}`, a.scope)),
            ),
        )
        .map((s) => ({
          id: `/subscriptions/${s.id}`,
          subscriptionId: s.id,
          tenantId: s.tenantId,
          displayName: s.displayName,
          state: "Enabled",
        }));
      return reply(200, { value });
    })
    // What the caller may do at a scope, one entry per role it holds there (assigned at the scope
    // or above), as Azure answers clients that check an action before using a linked resource.
    .on(
      "GET",
      /^(?<scope>\/subscriptions\/[^/]+(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/permissions\/?$/i,
      async (req, p) => {
        const claims = await caller(req);
        subscriptionOf(p.scope!.split("/")[2]!, claims);
        const roles = [...new Set(rolesAt(p.scope!, claims.oid))];
        return reply(200, {
          value: roles.flatMap((name) => (roleDefinitions[name] ? [roleDefinitions[name].permissions] : [])),
          nextLink: null,
        });
      },
    )
    // Role assignments that apply at a scope or below it (as Azure lists them without atScope()),
    // optionally for one principal: `$filter=principalId eq '{id}'`.
    .on(
      "GET",
      /^(?<scope>\/subscriptions\/[^/]+(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/roleAssignments\/?$/i,
      async (req, p) => {
        const claims = await caller(req);
        const subscriptionId = p.scope!.split("/")[2]!;
        subscriptionOf(subscriptionId, claims);
        authorizeScope(p.scope!, claims, "Microsoft.Authorization/roleAssignments/read", false);
        const principal = /principalId eq '([^']+)'/i.exec(req.url.searchParams.get("$filter") ?? "")?.[1];
        const value = state.roleAssignments
          .filter((a) => scopeIncludes(a.scope, p.scope!) || scopeIncludes(p.scope!, a.scope))
          .filter((a) => !principal || a.principalId === principal.toLowerCase())
          .map((a) =>
            roleAssignmentJson(
              a,
              `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitions[a.roleName]?.id ?? a.roleName}`,
            ),
          );
        return reply(200, { value, nextLink: null });
      },
    )
    .on("PUT", re(rg), async (req, p) => {
      const claims = await caller(req);
      const s = subscriptionOf(p.sub!, claims);
      authorizeScope(
        `/subscriptions/${s.id}/resourceGroups/${p.rg}`,
        claims,
        "Microsoft.Resources/subscriptions/resourceGroups/write",
        true,
      );
      const location = asObject(req.body).location;
      if (typeof location !== "string")
        throw armError(400, "LocationRequired", "The location property is required for this definition.");
      const key = `${s.id}/${p.rg}`.toLowerCase();
      const created = !state.resourceGroups[key];
      state.resourceGroups[key] ??= { subscriptionId: s.id, name: p.rg!, location: location.toLowerCase() };
      await store.save();
      const g = state.resourceGroups[key];
      return reply(created ? 201 : 200, {
        id: `/subscriptions/${s.id}/resourceGroups/${g.name}`,
        name: g.name,
        location: g.location,
        properties: { provisioningState: "Succeeded" },
      });
    })
    .on("GET", re(rg), async (req, p) => {
      const claims = await caller(req);
      const s = subscriptionOf(p.sub!, claims);
      const g = resourceGroupOf(s.id, p.rg!);
      authorizeScope(
        `/subscriptions/${s.id}/resourceGroups/${g.name}`,
        claims,
        "Microsoft.Resources/subscriptions/resourceGroups/read",
        false,
      );
      return reply(200, {
        id: `/subscriptions/${s.id}/resourceGroups/${g.name}`,
        name: g.name,
        location: g.location,
        properties: { provisioningState: "Succeeded" },
      });
    })
    .on("PUT", re(vaultPath), async (req, p) => putVault(req, p, await caller(req), false))
    .on("PATCH", re(vaultPath), async (req, p) => putVault(req, p, await caller(req), true))
    .on("GET", re(vaultPath), async (req, p) => {
      const claims = await caller(req);
      subscriptionOf(p.sub!, claims);
      const v = vaultIn(p);
      authorizeScope(vaultResourceId(v), claims, "Microsoft.KeyVault/vaults/read", false);
      return reply(200, vaultJson(v));
    })
    .on("DELETE", re(vaultPath), async (req, p) => {
      const claims = await caller(req);
      subscriptionOf(p.sub!, claims);
      const v = state.vaults[p.vault!.toLowerCase()];
      if (!v) return { status: 204 };
      authorizeScope(vaultResourceId(v), claims, "Microsoft.KeyVault/vaults/delete", true);
      const id = v.name.toLowerCase();
      delete state.vaults[id];
      if (v.properties.enableSoftDelete) {
        const at = Date.now();
        state.deletedVaults[id] = {
          vault: v,
          deletionDate: at,
          scheduledPurgeDate: at + v.properties.softDeleteRetentionInDays * 86_400_000,
        };
      }
      await store.save();
      return { status: 200 };
    })
    .on("PUT", re(`${vaultPath}/accessPolicies/(?<kind>add|replace|remove)`), async (req, p) => {
      const claims = await caller(req);
      subscriptionOf(p.sub!, claims);
      const v = vaultIn(p);
      authorizeScope(vaultResourceId(v), claims, "Microsoft.KeyVault/vaults/accessPolicies/write", true);
      const changes = parseAccessPolicies(
        asObject(asObject(req.body).properties).accessPolicies,
        v.properties.tenantId,
      );
      const same = (a: AccessPolicy, b: AccessPolicy) => a.objectId === b.objectId && a.tenantId === b.tenantId;
      const kind = p.kind!.toLowerCase();
      const before = JSON.stringify(v.properties.accessPolicies);
      for (const change of changes) {
        const current = v.properties.accessPolicies.find((a) => same(a, change));
        const keys = change.permissions.keys ?? [];
        if (kind === "replace" || !current) {
          if (kind === "remove") continue;
          v.properties.accessPolicies = [...v.properties.accessPolicies.filter((a) => !same(a, change)), change];
        } else if (kind === "add") {
          current.permissions.keys = [...new Set([...(current.permissions.keys ?? []), ...keys])];
        } else {
          const removed = new Set(keys.map((k) => k.toLowerCase()));
          current.permissions.keys = (current.permissions.keys ?? []).filter((k) => !removed.has(k.toLowerCase()));
          if (!keys.length || !current.permissions.keys.length)
            v.properties.accessPolicies = v.properties.accessPolicies.filter((a) => !same(a, change));
        }
      }
      await store.save();
      announcePolicies(v, before);
      return reply(200, {
        id: `${vaultResourceId(v)}/accessPolicies/${kind}`,
        type: "Microsoft.KeyVault/vaults/accessPolicies",
        properties: { accessPolicies: v.properties.accessPolicies },
      });
    })
    .on("GET", re(`${rg}/providers/Microsoft\\.KeyVault/vaults`), async (req, p) => {
      const claims = await caller(req);
      const s = subscriptionOf(p.sub!, claims);
      resourceGroupOf(s.id, p.rg!);
      return reply(200, { value: visibleVaults(claims, s.id, p.rg), nextLink: null });
    })
    .on("GET", re(`${sub}/providers/Microsoft\\.KeyVault/vaults`), async (req, p) => {
      const claims = await caller(req);
      return reply(200, { value: visibleVaults(claims, subscriptionOf(p.sub!, claims).id), nextLink: null });
    })
    .on("GET", re(`${sub}/resources`), async (req, p) => {
      // VaultsOperations.list() asks for generic resources filtered by type.
      const claims = await caller(req);
      const s = subscriptionOf(p.sub!, claims);
      const filter = req.url.searchParams.get("$filter") ?? "";
      const vaults = /Microsoft\.KeyVault\/vaults/i.test(filter) || !filter ? visibleVaults(claims, s.id) : [];
      return reply(200, {
        value: vaults.map(({ id, name, type, location, tags }) => ({ id, name, type, location, tags })),
        nextLink: null,
      });
    })
    .on("GET", re(`${sub}/providers/Microsoft\\.KeyVault/deletedVaults`), async (req, p) => {
      const claims = await caller(req);
      const s = subscriptionOf(p.sub!, claims);
      authorizeScope(`/subscriptions/${s.id}`, claims, "Microsoft.KeyVault/deletedVaults/read", false);
      const value = Object.keys(state.deletedVaults)
        .filter((n) => state.deletedVaults[n]!.vault.subscriptionId === s.id)
        .map(deletedVaultJson);
      return reply(200, { value, nextLink: null });
    })
    .on(
      "GET",
      re(`${sub}/providers/Microsoft\\.KeyVault/locations/(?<loc>[^/]+)/deletedVaults/(?<vault>[^/]+)`),
      async (req, p) => {
        const claims = await caller(req);
        const s = subscriptionOf(p.sub!, claims);
        authorizeScope(`/subscriptions/${s.id}`, claims, "Microsoft.KeyVault/deletedVaults/read", false);
        const d = state.deletedVaults[p.vault!.toLowerCase()];
        if (!d || d.vault.subscriptionId !== s.id)
          throw armError(404, "ResourceNotFound", `The deleted vault '${p.vault}' was not found.`);
        return reply(200, deletedVaultJson(p.vault!.toLowerCase()));
      },
    )
    .on(
      "POST",
      re(`${sub}/providers/Microsoft\\.KeyVault/locations/(?<loc>[^/]+)/deletedVaults/(?<vault>[^/]+)/purge`),
      async (req, p) => {
        const claims = await caller(req);
        const s = subscriptionOf(p.sub!, claims);
        const id = p.vault!.toLowerCase();
        const d = state.deletedVaults[id];
        if (!d || d.vault.subscriptionId !== s.id)
          throw armError(404, "ResourceNotFound", `The deleted vault '${p.vault}' was not found.`);
        authorizeScope(
          vaultResourceId(d.vault),
          claims,
          "Microsoft.KeyVault/locations/deletedVaults/purge/action",
          true,
        );
        if (d.vault.properties.enablePurgeProtection) {
          throw armError(
            409,
            "ConflictError",
            `Vault ${d.vault.name} has purge protection enabled and cannot be purged until its retention period has passed.`,
          );
        }
        delete state.deletedVaults[id];
        await store.save();
        return { status: 200 };
      },
    )
    .on("PUT", re(uami), async (req, p) => {
      const claims = await caller(req);
      const s = subscriptionOf(p.sub!, claims);
      const g = resourceGroupOf(s.id, p.rg!);
      const id = `/subscriptions/${s.id}/resourceGroups/${g.name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${p.name}`;
      authorizeScope(id, claims, "Microsoft.ManagedIdentity/userAssignedIdentities/write", true);
      const location = String(asObject(req.body).location ?? g.location);
      const identity = await putIdentity("UserAssigned", id, location, s.tenantId);
      return reply(200, identityJson(identity, p.name!));
    })
    .on("GET", re(uami), async (req, p) => {
      const claims = await caller(req);
      subscriptionOf(p.sub!, claims);
      const id = `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${p.name}`;
      authorizeScope(id, claims, "Microsoft.ManagedIdentity/userAssignedIdentities/read", false);
      const identity = Object.values(state.identities).find(
        (i) => i.kind === "UserAssigned" && i.resourceId.toLowerCase() === id.toLowerCase(),
      );
      if (!identity)
        throw armError(
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${p.name}' under resource group '${p.rg}' was not found.`,
        );
      return reply(200, identityJson(identity, p.name!));
    })
    .on("DELETE", re(uami), async (req, p) => {
      const claims = await caller(req);
      subscriptionOf(p.sub!, claims);
      const id = `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${p.name}`;
      authorizeScope(id, claims, "Microsoft.ManagedIdentity/userAssignedIdentities/delete", true);
      return removeIdentity("UserAssigned", id);
    })
    // The system-assigned identity of any resource, as Azure's MSI resource provider issues it
    // when a resource is created with identity.type SystemAssigned.
    .on(
      "PUT",
      /^(?<resource>\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+)\/providers\/Microsoft\.ManagedIdentity\/identities\/default\/?$/i,
      async (req, p) => {
        const claims = await caller(req);
        const tenantId =
          asResourceProvider(claims, p.resource!) ?? subscriptionOf(p.resource!.split("/")[2]!, claims).tenantId;
        if (!asResourceProvider(claims, p.resource!))
          authorizeScope(p.resource!, claims, "Microsoft.ManagedIdentity/identities/write", true);
        const identity = await putIdentity("SystemAssigned", p.resource!, undefined, tenantId);
        return reply(200, identityJson(identity, "default"));
      },
    )
    .on(
      "GET",
      /^(?<resource>\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+)\/providers\/Microsoft\.ManagedIdentity\/identities\/default\/?$/i,
      async (req, p) => {
        const claims = await caller(req);
        subscriptionOf(p.resource!.split("/")[2]!, claims);
        authorizeScope(p.resource!, claims, "Microsoft.ManagedIdentity/identities/read", false);
        const identity = Object.values(state.identities).find(
          (i) => i.kind === "SystemAssigned" && i.resourceId.toLowerCase() === p.resource!.toLowerCase(),
        );
        if (!identity)
          throw armError(404, "ResourceNotFound", `No system-assigned identity exists for '${p.resource}'.`);
        return reply(200, identityJson(identity, "default"));
      },
    )
    .on(
      "DELETE",
      /^(?<resource>\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/.+)\/providers\/Microsoft\.ManagedIdentity\/identities\/default\/?$/i,
      async (req, p) => {
        const claims = await caller(req);
        subscriptionOf(p.resource!.split("/")[2]!, claims);
        authorizeScope(p.resource!, claims, "Microsoft.ManagedIdentity/identities/delete", true);
        return removeIdentity("SystemAssigned", p.resource!);
      },
    )
    .on(
      "PUT",
      /^(?<scope>\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments\/(?<id>[^/]+)\/?$/i,
      async (req, p) => {
        const claims = await caller(req);
        subscriptionOf(p.scope!.split("/")[2]!, claims);
        authorizeScope(
          p.scope!,
          claims,
          "Microsoft.Authorization/roleAssignments/write",
          true,
          new Set(["Owner", "User Access Administrator"]),
        );
        const props = asObject(asObject(req.body).properties);
        const roleName =
          builtInRoles[
            String(props.roleDefinitionId ?? "")
              .split("/")
              .pop()!
              .toLowerCase()
          ];
        if (!roleName)
          throw armError(
            400,
            "RoleDefinitionDoesNotExist",
            `The specified role definition with ID '${String(props.roleDefinitionId)}' does not exist.`,
          );
        if (typeof props.principalId !== "string" || !uuid.test(props.principalId))
          throw armError(400, "InvalidPrincipalId", "A valid principal ID must be provided for role assignment.");
        const assignment = {
          id: p.id!.toLowerCase(),
          scope: p.scope!,
          principalId: props.principalId.toLowerCase(),
          roleName,
        };
        state.roleAssignments = [...state.roleAssignments.filter((a) => a.id !== assignment.id), assignment];
        await store.save();
        return reply(201, roleAssignmentJson(assignment, String(props.roleDefinitionId)));
      },
    )
    .on(
      "DELETE",
      /^(?<scope>\/subscriptions\/.+)\/providers\/Microsoft\.Authorization\/roleAssignments\/(?<id>[^/]+)\/?$/i,
      async (req, p) => {
        const claims = await caller(req);
        subscriptionOf(p.scope!.split("/")[2]!, claims);
        authorizeScope(
          p.scope!,
          claims,
          "Microsoft.Authorization/roleAssignments/delete",
          true,
          new Set(["Owner", "User Access Administrator"]),
        );
        const before = state.roleAssignments.length;
        state.roleAssignments = state.roleAssignments.filter((a) => a.id !== p.id!.toLowerCase());
        await store.save();
        return { status: before === state.roleAssignments.length ? 204 : 200 };
      },
    )
    .on("PUT", re(`${rg}/providers/Microsoft\\.Storage/storageAccounts/(?<name>[^/]+)`), async (req, p) => {
      const claims = await caller(req);
      const s = subscriptionOf(p.sub!, claims);
      const g = resourceGroupOf(s.id, p.rg!);
      const id = `/subscriptions/${s.id}/resourceGroups/${g.name}/providers/Microsoft.Storage/storageAccounts/${p.name}`;
      authorizeScope(id, claims, "Microsoft.Storage/storageAccounts/write", true);
      const body = asObject(req.body);
      state.storageAccounts[id.toLowerCase()] = {
        id,
        name: p.name!,
        location: String(body.location ?? g.location),
        kind: String(body.kind ?? "StorageV2"),
      };
      await store.save();
      return reply(200, {
        ...state.storageAccounts[id.toLowerCase()],
        type: "Microsoft.Storage/storageAccounts",
        properties: { provisioningState: "Succeeded" },
      });
    })
    .on("GET", re(`${rg}/providers/Microsoft\\.Storage/storageAccounts/(?<name>[^/]+)`), async (req, p) => {
      const claims = await caller(req);
      subscriptionOf(p.sub!, claims);
      const id = `/subscriptions/${p.sub}/resourceGroups/${p.rg}/providers/Microsoft.Storage/storageAccounts/${p.name}`;
      authorizeScope(id, claims, "Microsoft.Storage/storageAccounts/read", false);
      const account = state.storageAccounts[id.toLowerCase()];
      if (!account)
        throw armError(
          404,
          "ResourceNotFound",
          `The Resource 'Microsoft.Storage/storageAccounts/${p.name}' under resource group '${p.rg}' was not found.`,
        );
      return reply(200, {
        ...account,
        type: "Microsoft.Storage/storageAccounts",
        properties: { provisioningState: "Succeeded" },
      });
    });

  async function removeIdentity(kind: Identity["kind"], resourceId: string): Promise<Reply> {
    const identity = Object.values(state.identities).find(
      (i) => i.kind === kind && i.resourceId.toLowerCase() === resourceId.toLowerCase(),
    );
    if (!identity) return { status: 204 };
    delete state.identities[identity.principalId];
    await store.save();
    return { status: 200 };
  }

  const auth: ArmAuth = { caller, subscriptionOf, resourceGroupOf, authorizeScope };

  return {
    router,
    auth,
    async handle(req: EmuRequest): Promise<Reply | null> {
      if (!req.url.searchParams.get("api-version")) {
        return reply(400, {
          error: {
            code: "MissingApiVersionParameter",
            message: "The api-version query parameter (?api-version=) is required for all requests.",
          },
        });
      }
      return router.dispatch(req);
    },
  };
}

function identityJson(i: Identity, name: string) {
  return {
    id:
      i.kind === "UserAssigned"
        ? i.resourceId
        : `${i.resourceId}/providers/Microsoft.ManagedIdentity/identities/default`,
    name,
    type:
      i.kind === "UserAssigned"
        ? "Microsoft.ManagedIdentity/userAssignedIdentities"
        : "Microsoft.ManagedIdentity/identities",
    location: i.location,
    properties: { tenantId: i.tenantId, principalId: i.principalId, clientId: i.clientId },
  };
}

function roleAssignmentJson(a: { id: string; scope: string; principalId: string }, roleDefinitionId: string) {
  return {
    id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.id}`,
    name: a.id,
    type: "Microsoft.Authorization/roleAssignments",
    properties: { scope: a.scope, principalId: a.principalId, roleDefinitionId },
  };
}
