/**
 * Entra ID (Azure AD) v2.0 endpoints, enough for MSAL and @azure/identity unchanged: OIDC
 * discovery, JWKS, a local sign-in page for the authorization-code flow (PKCE, state, nonce),
 * and the token endpoint (authorization_code, refresh_token, client_credentials, on-behalf-of;
 * also the v1 `/oauth2/token` form with `resource` that older tutorials use).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { reply, Router, type EmuRequest, type Reply } from "./http";
import type { App, State, StateStore, Tenant, User } from "./state";
import { resourceOfScopes, TokenError, type TokenService } from "./tokens";

const CODE_TTL_MS = 5 * 60 * 1000;
const REFRESH_TTL_MS = 24 * 60 * 60 * 1000;
const oidcScopes = ["openid", "profile", "email", "offline_access"];
export const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

function aadError(
  status: number,
  error: string,
  code: number,
  description: string,
  extra: Record<string, string> = {},
): Reply {
  return reply(status, {
    ...extra,
    error,
    error_description: `AADSTS${code}: ${description}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomBytes(8).toString("hex"),
  });
}

/** Exact match, except that a localhost redirect URI matches on any port, as in Entra ID. */
function redirectMatches(registered: string, given: string): boolean {
  if (registered === given) return true;
  try {
    const a = new URL(registered);
    const b = new URL(given);
    const local = (u: URL) => u.hostname === "localhost" || u.hostname === "127.0.0.1";
    return local(a) && a.hostname === b.hostname && a.protocol === b.protocol && a.pathname === b.pathname && !b.search;
  } catch {
    return false;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function findTenant(state: State, idOrDomain: string): Tenant | undefined {
  const key = idOrDomain.toLowerCase();
  return Object.values(state.tenants).find((t) => t.id === key || t.domain.toLowerCase() === key);
}

function secretMatches(app: App, secret: string | undefined): boolean {
  if (!secret) return false;
  const a = Buffer.from(app.secret);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

function field(body: unknown, name: string): string | undefined {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === "string" ? value : undefined;
}

/** client_secret_post or client_secret_basic. */
function clientCredentials(req: EmuRequest): { clientId?: string; secret?: string } {
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
  if (basic) {
    const [id, secret] = Buffer.from(basic[1]!, "base64").toString().split(":");
    return { clientId: decodeURIComponent(id ?? ""), secret: decodeURIComponent(secret ?? "") };
  }
  return { clientId: field(req.body, "client_id"), secret: field(req.body, "client_secret") };
}

export function entraRoutes(store: StateStore, tokens: TokenService): Router {
  const { state } = store;
  const base = tokens.authority;

  function discovery(tenantSegment: string) {
    const tenant = findTenant(state, tenantSegment);
    const t = tenant?.id ?? tenantSegment;
    return {
      issuer: tenant ? tokens.issuer(tenant.id) : `${base}/{tenantid}/v2.0`,
      authorization_endpoint: `${base}/${t}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/${t}/oauth2/v2.0/token`,
      end_session_endpoint: `${base}/${t}/oauth2/v2.0/logout`,
      jwks_uri: `${base}/${t}/discovery/v2.0/keys`,
      userinfo_endpoint: `${base}/oidc/userinfo`,
      response_types_supported: ["code", "id_token", "code id_token"],
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      scopes_supported: oidcScopes,
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      code_challenge_methods_supported: ["S256", "plain"],
      claims_supported: ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "preferred_username", "oid", "tid"],
      tenant_region_scope: null,
      cloud_instance_name: "localhost",
      http_logout_supported: true,
      frontchannel_logout_supported: true,
    };
  }

  /** Users who may sign in through `tenantSegment` (a tenant id/domain, or common/organizations). */
  function usersFor(tenantSegment: string): User[] {
    const tenant = findTenant(state, tenantSegment);
    return Object.values(state.users).filter((u) => !tenant || u.tenantId === tenant.id);
  }

  function validateAuthorizeRequest(
    params: URLSearchParams | Record<string, string | undefined>,
  ): { app: App; error?: undefined } | { error: Reply } {
    const get = (k: string) => (params instanceof URLSearchParams ? (params.get(k) ?? undefined) : params[k]);
    const app = state.apps[get("client_id") ?? ""];
    if (!app)
      return {
        error: aadError(
          400,
          "unauthorized_client",
          700016,
          `Application with identifier '${get("client_id")}' was not found in the directory.`,
        ),
      };
    if (!app.redirectUris.some((registered) => redirectMatches(registered, get("redirect_uri") ?? ""))) {
      return {
        error: aadError(
          400,
          "invalid_request",
          50011,
          `The redirect URI '${get("redirect_uri")}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'.`,
        ),
      };
    }
    if (get("response_type") !== "code")
      return { error: aadError(400, "unsupported_response_type", 900144, "Only response_type=code is supported.") };
    const method = get("code_challenge_method");
    if (get("code_challenge") && method && !["S256", "plain"].includes(method)) {
      return { error: aadError(400, "invalid_request", 50124, "Unsupported code_challenge_method.") };
    }
    return { app };
  }

  function signInPage(tenantSegment: string, query: URLSearchParams): Reply {
    const hidden = [...query.entries()]
      .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
      .join("\n");
    const users = usersFor(tenantSegment)
      .map(
        (u) =>
          `<li><button type="submit" name="login_user" value="${u.objectId}">${escapeHtml(u.name)} <span>${escapeHtml(u.upn)}</span></button></li>`,
      )
      .join("\n");
    return {
      status: 200,
      headers: { "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action *" },
      html: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · Local Entra ID</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}ul{list-style:none;padding:0}
button{display:block;width:100%;text-align:left;padding:.75rem;margin:.5rem 0;font-size:1rem;cursor:pointer}span{color:#555;display:block;font-size:.85rem}</style>
</head><body><h1>Pick an account</h1><p>Local Entra ID emulator: choose a seeded user to sign in.</p>
<form method="post">${hidden}<ul>${users || "<li>No users in this tenant.</li>"}</ul></form></body></html>`,
    };
  }

  async function userTokens(app: App, user: User, scope: string, nonce?: string) {
    const resource = resourceOfScopes(scope);
    const requested = scope.split(/\s+/).filter((s) => s && !oidcScopes.includes(s));
    const access = await tokens.issue({
      tid: user.tenantId,
      oid: user.objectId,
      aud: resource ?? app.clientId,
      azp: app.clientId,
      appid: app.clientId,
      // `/.default` grants what the user consented to: user_impersonation for ARM and Key Vault.
      scp:
        requested.map((s) => s.slice(s.lastIndexOf("/") + 1).replace(/^\.default$/, "user_impersonation")).join(" ") ||
        "openid",
      idtyp: "user",
      name: user.name,
      preferred_username: user.upn,
    });
    const id = await tokens.issue({
      tid: user.tenantId,
      oid: user.objectId,
      aud: app.clientId,
      name: user.name,
      preferred_username: user.upn,
      nonce,
    });
    const refreshToken = randomBytes(32).toString("base64url");
    state.refreshTokens[refreshToken] = {
      clientId: app.clientId,
      userId: user.objectId,
      scope,
      expires: Date.now() + REFRESH_TTL_MS,
    };
    await store.save();
    return reply(200, {
      token_type: "Bearer",
      scope: requested.join(" ") || scope,
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: access.token,
      refresh_token: refreshToken,
      id_token: id.token,
      client_info: Buffer.from(JSON.stringify({ uid: user.objectId, utid: user.tenantId })).toString("base64url"),
    });
  }

  /**
   * The on-behalf-of grant: a middle-tier API trades the access token a user sent it (issued for
   * the API itself) for one to a downstream resource, as that user, within what an admin consented
   * to for the API in the user's tenant. Entra ID's errors: invalid_grant for an assertion that is
   * not a valid user token for this app, AADSTS65001 (consent_required) for a scope without consent.
   */
  async function onBehalfOf(req: EmuRequest, app: App, tenantSegment: string, scope: string): Promise<Reply> {
    if (field(req.body, "requested_token_use") !== "on_behalf_of") {
      return aadError(
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'requested_token_use' with the value 'on_behalf_of'.",
      );
    }
    let claims;
    try {
      claims = await tokens.verify(field(req.body, "assertion") ?? "", [`api://${app.clientId}`, app.clientId]);
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      if (err.reason === "expired")
        return aadError(400, "invalid_grant", 500133, "Assertion is not within its valid time range.");
      if (err.reason === "audience")
        return aadError(
          400,
          "invalid_grant",
          50013,
          `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was not '${app.clientId}' or 'api://${app.clientId}'.`,
        );
      return aadError(
        400,
        "invalid_grant",
        50013,
        `Assertion failed signature validation or is malformed: ${err.message}`,
      );
    }
    const user = state.users[claims.oid];
    if (claims.idtyp === "app" || !claims.scp || !user || user.tenantId !== claims.tid) {
      return aadError(
        400,
        "invalid_grant",
        50013,
        "The assertion is not a user's access token: on-behalf-of acts for a signed-in user, not for an application.",
      );
    }
    const tenant = findTenant(state, tenantSegment);
    if (tenant && tenant.id !== claims.tid)
      return aadError(
        400,
        "invalid_grant",
        50013,
        `The assertion was issued for tenant '${claims.tid}', not '${tenant.id}'.`,
      );
    const resource = resourceOfScopes(scope);
    if (!resource)
      return aadError(
        400,
        "invalid_scope",
        70011,
        "The provided request must include a 'scope' input parameter for a resource.",
      );
    const requested = scope
      .split(/\s+/)
      .filter((s) => s && !oidcScopes.includes(s))
      .map((s) => s.slice(s.lastIndexOf("/") + 1));
    const consentResource =
      resource.replace(/\/+$/, "") === base ? "https://management.localhost" : resource.replace(/\/+$/, "");
    const granted = (state.consents ?? [])
      .filter((c) => c.clientId === app.clientId && c.tenantId === claims.tid && c.resource === consentResource)
      .flatMap((c) => c.scopes);
    const scp = requested.includes(".default") ? granted : requested;
    if (!scp.length || scp.some((s) => !granted.includes(s))) {
      const description = `The user or administrator has not consented to use the application with ID '${app.clientId}' named '${app.name}'. Send an interactive authorization request for this user and resource.`;
      return aadError(400, "invalid_grant", 65001, description, { suberror: "consent_required" });
    }
    const issued = await tokens.issue({
      tid: claims.tid,
      oid: user.objectId,
      aud: resource,
      azp: app.clientId,
      appid: app.clientId,
      scp: scp.join(" "),
      idtyp: "user",
      name: user.name,
      preferred_username: user.upn,
    });
    return reply(200, {
      token_type: "Bearer",
      scope: scp.map((s) => `${resource}/${s}`).join(" "),
      expires_in: issued.expiresOn - Math.floor(Date.now() / 1000),
      ext_expires_in: 3599,
      access_token: issued.token,
    });
  }

  async function token(req: EmuRequest, tenantSegment: string, v1: boolean): Promise<Reply> {
    const grant = field(req.body, "grant_type");
    const { clientId, secret } = clientCredentials(req);
    const app = state.apps[clientId ?? ""];
    if (!app)
      return aadError(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory.`,
      );
    if (!secretMatches(app, secret)) return aadError(401, "invalid_client", 7000215, "Invalid client secret provided.");
    const scope = v1 ? `${field(req.body, "resource") ?? ""}/.default` : (field(req.body, "scope") ?? "");

    if (grant === "client_credentials") {
      const tenant = findTenant(state, tenantSegment);
      if (!tenant || tenant.id !== app.tenantId) {
        return aadError(
          400,
          "invalid_request",
          700016,
          `Application '${app.clientId}' was not found in the directory '${tenantSegment}'.`,
        );
      }
      const resource = resourceOfScopes(scope);
      if (!resource || (!v1 && !scope.endsWith("/.default"))) {
        return aadError(
          400,
          "invalid_scope",
          1002012,
          "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.",
        );
      }
      const roles = (state.appRoleAssignments ?? [])
        .filter((a) => a.clientId === app.clientId && a.resource === resource)
        .map((a) => a.role);
      const issued = await tokens.issue({
        tid: app.tenantId,
        oid: app.objectId,
        aud: resource,
        appid: app.clientId,
        azp: app.clientId,
        idtyp: "app",
        ...(roles.length ? { roles } : {}),
      });
      return reply(200, {
        token_type: "Bearer",
        expires_in: 3599,
        ext_expires_in: 3599,
        ...(v1 ? { expires_on: String(issued.expiresOn), resource } : {}),
        access_token: issued.token,
      });
    }

    if (grant === jwtBearerGrant) return onBehalfOf(req, app, tenantSegment, scope);

    if (grant === "authorization_code") {
      const code = field(req.body, "code") ?? "";
      const grantOf = state.authCodes[code];
      delete state.authCodes[code]; // one use, whatever happens next
      if (!grantOf || grantOf.expires < Date.now() || grantOf.clientId !== app.clientId) {
        await store.save();
        return aadError(
          400,
          "invalid_grant",
          70008,
          "The provided authorization code or refresh token has expired or was already used.",
        );
      }
      if (grantOf.redirectUri !== field(req.body, "redirect_uri"))
        return aadError(
          400,
          "invalid_grant",
          500112,
          "The reply address does not match the one of the authorization request.",
        );
      if (grantOf.codeChallenge) {
        const verifier = field(req.body, "code_verifier") ?? "";
        const computed = createHash("sha256").update(verifier).digest("base64url");
        if (computed !== grantOf.codeChallenge && verifier !== grantOf.codeChallenge) {
          return aadError(
            400,
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
          );
        }
      }
      const user = state.users[grantOf.userId]!;
      return userTokens(app, user, scope || grantOf.scope, grantOf.nonce);
    }

    if (grant === "refresh_token") {
      const rt = state.refreshTokens[field(req.body, "refresh_token") ?? ""];
      if (!rt || rt.expires < Date.now() || rt.clientId !== app.clientId) {
        return aadError(
          400,
          "invalid_grant",
          70008,
          "The provided authorization code or refresh token has expired or was already used.",
        );
      }
      return userTokens(app, state.users[rt.userId]!, scope || rt.scope);
    }
    return aadError(400, "unsupported_grant_type", 70003, `The grant type '${grant}' is not supported.`);
  }

  return new Router()
    .on("GET", /^\/(?<tenant>[^/]+)\/v2\.0\/\.well-known\/openid-configuration$/, (_req, p) =>
      reply(200, discovery(p.tenant!)),
    )
    .on("GET", /^\/(?<tenant>[^/]+)\/discovery\/(v2\.0\/)?keys$/, () => reply(200, tokens.publicJwks()))
    .on("GET", /^\/(?<tenant>[^/]+)\/oauth2\/v2\.0\/authorize$/, (req, p) => {
      const checked = validateAuthorizeRequest(req.url.searchParams);
      return checked.error ?? signInPage(p.tenant!, req.url.searchParams);
    })
    .on("POST", /^\/(?<tenant>[^/]+)\/oauth2\/v2\.0\/authorize$/, async (req, p) => {
      const form = req.body as Record<string, string | undefined>;
      const checked = validateAuthorizeRequest(form);
      if (checked.error) return checked.error;
      const user = usersFor(p.tenant!).find((u) => u.objectId === form.login_user);
      if (!user) return aadError(400, "invalid_request", 50034, "The user account does not exist in this directory.");
      const code = randomBytes(32).toString("base64url");
      state.authCodes[code] = {
        clientId: checked.app.clientId,
        redirectUri: form.redirect_uri!,
        userId: user.objectId,
        scope: form.scope ?? "openid",
        nonce: form.nonce,
        codeChallenge: form.code_challenge,
        expires: Date.now() + CODE_TTL_MS,
      };
      await store.save();
      const target = new URL(form.redirect_uri!);
      target.searchParams.set("code", code);
      if (form.state) target.searchParams.set("state", form.state);
      target.searchParams.set(
        "client_info",
        Buffer.from(JSON.stringify({ uid: user.objectId, utid: user.tenantId })).toString("base64url"),
      );
      return { status: 302, headers: { Location: target.href } };
    })
    .on("GET", /^\/(?<tenant>[^/]+)\/oauth2\/v2\.0\/logout$/, (req) => {
      const back = req.url.searchParams.get("post_logout_redirect_uri");
      const allowed =
        back &&
        Object.values(state.apps).some((a) =>
          a.redirectUris.some((u) => redirectMatches(new URL(u).origin, new URL(back).origin)),
        );
      return allowed
        ? { status: 302, headers: { Location: back } }
        : { status: 200, html: "<!doctype html><p>You have signed out.</p>" };
    })
    .on("POST", /^\/(?<tenant>[^/]+)\/oauth2\/v2\.0\/token$/, (req, p) => token(req, p.tenant!, false))
    .on("POST", /^\/(?<tenant>[^/]+)\/oauth2\/token$/, (req, p) => token(req, p.tenant!, true));
}
