/**
 * The App Service style managed identity endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER) that
 * @azure/identity's ManagedIdentityCredential calls. Like Azure's, it is plain HTTP on loopback,
 * guarded by the shared header secret. The identity is chosen by client_id, principal_id or
 * mi_res_id, so one process can act as the identity of each account it serves.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import { reply, Router, type Reply } from "./http";
import type { Identity, State } from "./state";
import type { TokenService } from "./tokens";

const miError = (status: number, message: string): Reply =>
  reply(status, { statusCode: status, message, correlationId: randomUUID() });

// Identities are stored by principal id; a token request names one by client id. At 100,000
// identities a scan per request would cost more than the request, so client ids are indexed, and
// the index is rebuilt only when it misses (an identity added since, or one that does not exist).
const clientIdIndex = new WeakMap<State["identities"], Map<string, string>>();

function byClientId(state: State, clientId: string): Identity | undefined {
  const hit = clientIdIndex.get(state.identities)?.get(clientId);
  const found = hit ? state.identities[hit] : undefined;
  if (found?.clientId === clientId) return found;
  const index = new Map(Object.values(state.identities).map((i) => [i.clientId, i.principalId]));
  clientIdIndex.set(state.identities, index);
  const principalId = index.get(clientId);
  return principalId ? state.identities[principalId] : undefined;
}

export function findIdentity(
  state: State,
  by: { clientId?: string | null; principalId?: string | null; resourceId?: string | null },
): Identity | undefined {
  const byPrincipal = by.principalId ? state.identities[by.principalId.toLowerCase()] : undefined;
  return (
    (by.clientId ? byClientId(state, by.clientId.toLowerCase()) : undefined) ??
    (byPrincipal?.principalId === by.principalId?.toLowerCase() ? byPrincipal : undefined) ??
    (by.resourceId
      ? Object.values(state.identities).find((i) => i.resourceId.toLowerCase() === by.resourceId!.toLowerCase())
      : undefined)
  );
}

export function managedIdentityRoutes(state: State, tokens: TokenService): Router {
  return new Router().on("GET", /^\/msi\/token$/, async (req) => {
    const header = Buffer.from(String(req.headers["x-identity-header"] ?? ""));
    const expected = Buffer.from(state.identityHeader);
    if (header.length !== expected.length || !timingSafeEqual(header, expected)) {
      return miError(401, "The X-IDENTITY-HEADER header is missing or wrong.");
    }
    const q = req.url.searchParams;
    const resource = q.get("resource");
    if (!resource) return miError(400, "The resource parameter is required.");
    const selector = {
      clientId: q.get("client_id"),
      principalId: q.get("principal_id") ?? q.get("object_id"),
      resourceId: q.get("mi_res_id"),
    };
    if (!selector.clientId && !selector.principalId && !selector.resourceId) {
      return miError(400, "This emulator hosts many identities: name one with client_id, principal_id or mi_res_id.");
    }
    const identity = findIdentity(state, selector);
    if (!identity)
      return miError(400, "No managed identity matches the request: it does not exist, or it was removed.");
    const issued = await tokens.issue({
      tid: identity.tenantId,
      oid: identity.principalId,
      aud: resource.replace(/\/\.default$/, ""),
      appid: identity.clientId,
      azp: identity.clientId,
      idtyp: "app",
      xms_mirid: identity.resourceId,
    });
    return reply(200, {
      access_token: issued.token,
      expires_on: String(issued.expiresOn),
      resource,
      token_type: "Bearer",
      client_id: identity.clientId,
    });
  });
}
