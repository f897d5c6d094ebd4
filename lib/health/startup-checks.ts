import "server-only";
import pg from "pg";
import { httpsRequest } from "@/lib/azure/https-request";
import { azureAgent } from "@/lib/azure/transport";
import { ConfigError, type AppConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { parseKeyIdentifier } from "@/lib/keyvault/key-id";
import { redactUrl } from "@/lib/urls";

/**
 * Start-up checks of the azure profile: before the portal or a worker serves anything, it reaches
 * each Azure endpoint and the database once, so a wrong or unreachable one stops it at once, named
 * with its variable, instead of hanging or failing on the first request. Every probe gives up after
 * PROBE_TIMEOUT_MS and at most two run one after the other, so the whole check is bounded.
 */
const PROBE_TIMEOUT_MS = 4000;

/** The Key Vault data-plane version these probes speak (GA, and in every cloud). */
const KEYVAULT_API_VERSION = "7.5";

interface Reply {
  status: number;
  body: Record<string, unknown> | undefined;
}

/** A probe through the transport every Azure client of the app uses (locally: the emulator's CA and *.localhost). */
async function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const res = await httpsRequest(url, { ...options, agent: azureAgent(), timeoutMs: PROBE_TIMEOUT_MS });
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  return { status: res.status, body };
}

const networkReasons: Record<string, string> = {
  ENOTFOUND: "the host name does not resolve",
  EAI_AGAIN: "the host name does not resolve",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
};

/** Why a request failed, in words and the system's code; never the request itself (it may carry a secret). */
function why(err: unknown): string {
  const error = err as Error & { code?: string; cause?: unknown };
  if (error.name === "TimeoutError") return `no answer within ${PROBE_TIMEOUT_MS / 1000} s`;
  const cause = (error.cause ?? error) as { code?: string; errors?: { code?: string }[] };
  const code = cause.code ?? cause.errors?.[0]?.code;
  if (!code) return error.name;
  const reason =
    networkReasons[code] ??
    (/CERT|SSL|TLS/.test(code) ? "the server's TLS certificate is not trusted" : "request failed");
  return `${reason} (${code})`;
}

/** The error code of an Azure error body: ARM and Key Vault `{ error: { code } }`, Entra ID `{ error, error_codes }`. */
function azureCode(body: Reply["body"]): string {
  const error = body?.error;
  if (typeof error === "object" && error && "code" in error) return ` ${String(error.code)}`;
  const codes = Array.isArray(body?.error_codes) ? ` AADSTS${body.error_codes.join(",")}` : "";
  return typeof error === "string" ? ` ${error}${codes}` : codes;
}

async function checkDatabase(config: AppConfig): Promise<string[]> {
  const url = new URL(config.database.url);
  const name = `DATABASE_URL (${url.hostname}:${url.port || 5432}${url.pathname})`;
  const client = new pg.Client({
    connectionString: config.database.url,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
  });
  // A failed connection also emits 'error'; without a listener it would end the process.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return [];
  } catch (err) {
    const error = err as Error & { severity?: string; code?: string };
    // The server's own words (auth failed, no such database, TLS required) name no password; the
    // driver's own errors are reduced to their code.
    if (error.severity) return [`${name}: the server refused: ${error.message} (${error.code})`];
    if (error.code) return [`${name}: ${why(error)}`];
    return [
      `${name}: ${/timeout/i.test(error.message) ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : error.name}`,
    ];
  } finally {
    await client.end().catch(() => {});
  }
}

/** OIDC discovery of the tenant, then the portal's own credentials (a client-credentials token for ARM). */
async function checkEntraId(config: AppConfig): Promise<string[]> {
  const host = config.endpoints.authorityHost;
  const { tenantId, clientId, clientSecret } = config.auth;
  let discovery: Reply;
  try {
    discovery = await call(`${host}/${tenantId}/v2.0/.well-known/openid-configuration`);
  } catch (err) {
    return [`AZURE_AUTHORITY_HOST (${host}): OIDC discovery failed: ${why(err)}`];
  }
  if (discovery.status !== 200 || typeof discovery.body?.token_endpoint !== "string") {
    return [
      `AZURE_TENANT_ID (${tenantId}): ${host} has no OIDC discovery for this tenant (HTTP ${discovery.status}${azureCode(discovery.body)})`,
    ];
  }
  // The configured host, not the discovered token endpoint: the secret goes nowhere else.
  const tokenUrl = `${host}/${tenantId}/oauth2/v2.0/token`;
  let token: Reply;
  try {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: clientId,
      client_secret: clientSecret,
      scope: `${config.endpoints.armEndpoint}/.default`,
    });
    token = await call(tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
  } catch (err) {
    return [`AZURE_AUTHORITY_HOST (${redactUrl(tokenUrl)}): ${why(err)}`];
  }
  if (token.status === 200) return [];
  const codes = Array.isArray(token.body?.error_codes) ? (token.body.error_codes as number[]) : [];
  // AADSTS700016: no such application in the tenant; 7000215/7000222: wrong or expired secret.
  const variable = codes.includes(700016)
    ? "AZURE_CLIENT_ID"
    : codes.some((c) => c === 7000215 || c === 7000222)
      ? "AZURE_CLIENT_SECRET"
      : "AZURE_CLIENT_ID/AZURE_CLIENT_SECRET";
  return [`${variable}: Entra ID refused the portal app's credentials (HTTP ${token.status}${azureCode(token.body)})`];
}

/** ARM answers a request without a token with 401; anything else is not ARM. */
async function checkArm(config: AppConfig): Promise<string[]> {
  const arm = config.endpoints.armEndpoint;
  try {
    const res = await call(`${arm}/subscriptions?api-version=2022-12-01`);
    return res.status === 401
      ? []
      : [
          `ARM_ENDPOINT (${arm}): answered HTTP ${res.status}, not as Azure Resource Manager does (401 without a token)`,
        ];
  } catch (err) {
    return [`ARM_ENDPOINT (${arm}): ${why(err)}`];
  }
}

/** A Key Vault token for the service identity from the platform's managed identity endpoint (App Service's protocol, also Container Apps'). */
async function serviceIdentityToken(config: AppConfig): Promise<{ token: string | null; problems: string[] }> {
  const { endpoint, header } = config.managedIdentity ?? { endpoint: null, header: null };
  const clientId = config.systemKey.identityClientId;
  if (!endpoint || !header) {
    const missing = endpoint ? "IDENTITY_HEADER" : "IDENTITY_ENDPOINT";
    return {
      token: null,
      problems: [
        `${missing}: not set, so the service identity (SERVICE_IDENTITY_CLIENT_ID) gets no token: run on App Service or Container Apps with that user-assigned identity assigned (they set IDENTITY_ENDPOINT and IDENTITY_HEADER)`,
      ],
    };
  }
  const query = new URLSearchParams({
    "api-version": "2019-08-01",
    resource: config.endpoints.keyVaultResource,
    client_id: clientId,
  });
  try {
    const res = await call(`${endpoint}?${query}`, { headers: { "X-IDENTITY-HEADER": header } });
    if (res.status === 200 && typeof res.body?.access_token === "string")
      return { token: res.body.access_token, problems: [] };
    return {
      token: null,
      problems: [
        `SERVICE_IDENTITY_CLIENT_ID (${clientId}): the managed identity endpoint gives no token for it (HTTP ${res.status}): is this user-assigned identity assigned to the app?`,
      ],
    };
  } catch (err) {
    return { token: null, problems: [`IDENTITY_ENDPOINT (${redactUrl(endpoint)}): ${why(err)}`] };
  }
}

/** Reads the system key as the service identity: it exists, is enabled, and is an RSA key for wrapKey and unwrapKey. */
async function checkSystemKey(config: AppConfig, token: string | null): Promise<string[]> {
  let key: ReturnType<typeof parseKeyIdentifier>;
  try {
    key = parseKeyIdentifier(config.systemKey.keyId, {
      dnsSuffixes: config.endpoints.keyVaultDnsSuffixes,
      allowPort: config.emulator !== null,
    });
  } catch (err) {
    if (err instanceof DomainError) return [`SYSTEM_KEY_ID (${config.systemKey.keyId}): ${err.message}`];
    throw err;
  }
  const name = `SYSTEM_KEY_ID (${key.id})`;
  let res: Reply;
  try {
    const url = `${key.vaultUrl}/keys/${key.keyName}/${key.version ?? ""}?api-version=${KEYVAULT_API_VERSION}`;
    res = await call(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  } catch (err) {
    return [`${name}: Key Vault unreachable: ${why(err)}`];
  }
  // Without a token (the identity's problem is already listed) only reachability is known: Key Vault asks for one.
  if (!token)
    return res.status === 401
      ? []
      : [`${name}: answered HTTP ${res.status}, not as Key Vault does (401 without a token)`];
  if (res.status === 401 || res.status === 403) {
    return [
      `SERVICE_IDENTITY_CLIENT_ID (${config.systemKey.identityClientId}) may not read ${name} (HTTP ${res.status}${azureCode(res.body)}): give it the "Key Vault Crypto Service Encryption User" role on the key, or get, wrapKey and unwrapKey in the vault's access policies`,
    ];
  }
  if (res.status !== 200) return [`${name}: Key Vault answered HTTP ${res.status}${azureCode(res.body)}`];
  const jwk = (res.body?.key ?? {}) as { kty?: string; key_ops?: string[] };
  const attributes = (res.body?.attributes ?? {}) as { enabled?: boolean; exp?: number };
  const problems: string[] = [];
  if (attributes.enabled === false) problems.push("it is disabled");
  if (attributes.exp !== undefined && attributes.exp * 1000 < Date.now()) problems.push("it has expired");
  if (jwk.kty !== "RSA" && jwk.kty !== "RSA-HSM") problems.push(`it is ${jwk.kty ?? "of no known type"}, not RSA`);
  const missingOps = ["wrapKey", "unwrapKey"].filter((op) => !jwk.key_ops?.includes(op));
  if (missingOps.length) problems.push(`it does not permit ${missingOps.join(" and ")}`);
  return problems.length ? [`${name}: ${problems.join("; ")}`] : [];
}

/** What is wrong with the azure profile's endpoints, one line per problem, each naming its variable; empty when all answer. */
export async function azureStartupProblems(config: AppConfig): Promise<string[]> {
  const keyVault = serviceIdentityToken(config).then(async ({ token, problems }) => [
    ...problems,
    ...(await checkSystemKey(config, token)),
  ]);
  const results = await Promise.all([checkDatabase(config), checkEntraId(config), checkArm(config), keyVault]);
  return results.flat();
}

/** In the azure profile, throws a ConfigError listing every unreachable or misconfigured endpoint. */
export async function assertAzureReachable(config: AppConfig): Promise<void> {
  if (config.profile !== "azure") return;
  const started = performance.now();
  const problems = await azureStartupProblems(config);
  if (problems.length) {
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    throw new ConfigError(
      `Azure is not reachable as configured for APP_PROFILE=azure (checked in ${seconds} s; see docs/deploy-azure.md):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
}
