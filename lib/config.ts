/**
 * Every setting comes from the environment and is validated here, once, at start.
 *
 * Two profiles:
 * - `local` (default): the project's Azure emulator on loopback, the embedded PGlite database
 *   unless DATABASE_URL names a PostgreSQL server, data under DATA_DIR.
 * - `azure`: real Entra ID, Key Vault and Azure Resource Manager, and a PostgreSQL server.
 *
 * .env.example documents every variable. This module has no `server-only` guard because the
 * launcher, the worker and the emulator read it too; it holds no secret of its own.
 */
import path from "node:path";
import { z } from "zod";
import { demoPlatform, demoPortalApp } from "@/lib/demo/directory";
import { logLevels } from "@/lib/log-level";
import { parseRange } from "@/lib/net/addresses";

const port = z.coerce.number().int().min(0).max(65535);

const postgresUrl = z.string().refine((value) => {
  try {
    return ["postgres:", "postgresql:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, "must be a postgresql://user@host:port/database URL");

const csv = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().min(1)).min(1));

const common = {
  PORT: port.default(3000),
  /** Key delivery's own listener (`npm start` runs it beside the portal); the portal's /keydelivery route serves the same. */
  KEY_DELIVERY_PORT: port.default(3001),
  /**
   * The base URL players get for key delivery (`{url}/keydelivery/{account id}?kid=...`): the
   * listener's public address. Default: http://localhost:KEY_DELIVERY_PORT locally, PUBLIC_URL
   * (the portal's route) in Azure until the listener has a host name of its own.
   */
  KEY_DELIVERY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * How often each process polls the account change table, the fallback of LISTEN/NOTIFY; a
   * process serves cached account state only while a poll succeeded within max(1 s, 4 polls).
   */
  ACCOUNT_CHANGE_POLL_MS: z.coerce.number().int().min(50).max(2000).default(250),
  /** LISTEN for account changes (off: the poll alone carries them; tests of the fallback). */
  ACCOUNT_CHANGE_NOTIFICATIONS: z.stringbool().default(true),
  ACCOUNT_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  /** Client-side limit of Key Vault operations per vault per 10 s (the published limit for RSA-2048 software keys). */
  KEYVAULT_OPERATIONS_PER_10S: z.coerce.number().int().min(1).default(4000),
  /** How often the key monitor checks each customer key. */
  MONITOR_INTERVAL_SECONDS: z.coerce.number().min(0.2).max(86_400).default(60),
  /** How often each process adds the checks it counted to the dashboard's per-hour counts (one upsert per subscription, hour and result). */
  CHECK_COUNTS_FLUSH_SECONDS: z.coerce.number().min(0.2).max(300).default(15),
  /** Accounts one worker checks at once (of a batch of 50): a check mostly waits on Key Vault. */
  MONITOR_CONCURRENCY: z.coerce.number().int().min(1).max(50).default(16),
  /**
   * Managed identity credentials and Key Vault clients one process keeps, most recently used (about
   * 100 KB of heap per identity); one that left is created again, at the cost of one 401 challenge.
   */
  IDENTITY_CACHE_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /**
   * Managed identity tokens one process keeps, one per identity (a few KB each): size it at the
   * identities one worker checks in an interval, or their checks ask for tokens again.
   */
  MANAGED_IDENTITY_TOKEN_CACHE_ENTRIES: z.coerce.number().int().min(1).max(10_000_000).default(200_000),
  /** How often an idle job worker looks for scheduled jobs. */
  JOB_POLL_INTERVAL_SECONDS: z.coerce.number().min(0.2).max(3600).default(2),
  /** Jobs one worker runs at once. */
  JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Limits on what a JobInputHttp download may take: bytes per input, seconds per file. */
  JOB_INPUT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(256 * 1024 * 1024),
  JOB_INPUT_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(300),
  /** The ffmpeg that encoding jobs run; unset: the static build that npm installs (@ffmpeg-installer). */
  FFMPEG_PATH: z.string().min(1).optional(),
  /** A portal session ends after this long without a request, and this long after sign-in whatever happens. */
  SESSION_IDLE_MINUTES: z.coerce
    .number()
    .min(1)
    .max(24 * 60)
    .default(60),
  SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .min(1)
    .max(7 * 24)
    .default(8),
  /** The largest request body the REST API reads (ARM's own limit, 4 MiB, by default); larger gets 413. */
  API_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(4 * 1024 * 1024),
  /** Proxies (addresses or CIDR ranges) whose x-forwarded-for hops name the client; none by default: the socket's peer is the client. */
  TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((value) =>
      value
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().refine((entry) => parseRange(entry) !== null, "must be addresses or CIDR ranges"))),
  /**
   * The lowest TLS version the deployment's TLS termination (App Service, a proxy) accepts; this
   * process speaks plain HTTP behind it. An account may ask for this version or a lower one, never
   * a higher one the deployment does not enforce.
   */
  TLS_MINIMUM_VERSION: z.enum(["Tls10", "Tls11", "Tls12", "Tls13"]).default("Tls12"),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  /**
   * The bearer token a Prometheus scraper sends to /api/metrics (and the listener's and workers'
   * /metrics); unset: the metrics endpoints answer 404. A secret: at least 32 characters.
   */
  METRICS_TOKEN: z.string().min(32, "must be at least 32 characters").optional(),
  /** A worker serves /metrics on this port (the launcher's worker i on this + i); unset: workers serve none. */
  WORKER_METRICS_PORT: port.optional(),
};

const LocalEnv = z.object({
  APP_PROFILE: z.literal("local"),
  ...common,
  /** A PostgreSQL server to use instead of the embedded PGlite. */
  DATABASE_URL: postgresUrl.optional(),
  EMBEDDED_DB_PORT: port.default(54329),
  /** The local Azure emulator: HTTPS (Entra ID, ARM, Key Vault) and its managed identity endpoint. */
  EMULATOR_PORT: port.default(8443),
  EMULATOR_IDENTITY_PORT: port.default(8444),
  /** JobInputHttp may fetch from loopback and private networks: on for local test servers, off in Azure. */
  JOB_INPUT_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(true),
});

const AzureEnv = z.object({
  APP_PROFILE: z.literal("azure"),
  ...common,
  DATABASE_URL: postgresUrl,
  /** https only: the session cookie is Secure, and sign-in redirects must not travel in clear. */
  PUBLIC_URL: z.url({ protocol: /^https$/, error: "must be an https:// URL" }),
  AZURE_TENANT_ID: z.uuid(),
  AZURE_CLIENT_ID: z.uuid(),
  AZURE_CLIENT_SECRET: z.string().min(1),
  AZURE_AUTHORITY_HOST: z.url().default("https://login.microsoftonline.com"),
  ARM_ENDPOINT: z.url().default("https://management.azure.com"),
  KEYVAULT_DNS_SUFFIXES: csv.default([".vault.azure.net", ".vault.azure.cn", ".vault.usgovcloudapi.net"]),
  /**
   * Audiences the REST API accepts in bearer tokens; default api://AZURE_CLIENT_ID (the App ID URI,
   * the audience of v1 access tokens). Never the bare client id by default: it is also the
   * audience of the portal's own ID tokens (add it only for v2 access tokens: ID tokens are refused anyway).
   */
  API_AUDIENCES: csv.optional(),
  /** The service's own key (a versionless or versioned Key Vault key id) that wraps system-key accounts. */
  SYSTEM_KEY_ID: z.url(),
  /** The service's user-assigned managed identity (client id) that reads the system key. */
  SERVICE_IDENTITY_CLIENT_ID: z.uuid(),
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters"),
  /**
   * The managed identity endpoint and its header, set by App Service and Container Apps (never by
   * hand). The Azure SDK reads them itself; the start-up checks name them when they are missing.
   */
  IDENTITY_ENDPOINT: z.url().optional(),
  IDENTITY_HEADER: z.string().min(1).optional(),
});

const Env = z.discriminatedUnion("APP_PROFILE", [LocalEnv, AzureEnv]);

/** The variables each profile reads: .env.example and docs/deploy-azure.md name the same (lib/config-docs.test.ts). */
export const profileVariables = { local: Object.keys(LocalEnv.shape), azure: Object.keys(AzureEnv.shape) };

export type AppConfig = ReturnType<typeof toConfig>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

function toConfig(env: z.infer<typeof Env>) {
  const dataDir = path.resolve(env.DATA_DIR);
  const database =
    env.APP_PROFILE === "local" && !env.DATABASE_URL
      ? {
          url: `postgresql://postgres@127.0.0.1:${env.EMBEDDED_DB_PORT}/postgres`,
          /** Set when the launcher must start PGlite for this configuration. */
          embedded: { port: env.EMBEDDED_DB_PORT, dir: path.join(dataDir, "pglite") },
        }
      : // Both schemas leave only this case when DATABASE_URL is set.
        { url: env.DATABASE_URL as string, embedded: null };
  const emulator =
    env.APP_PROFILE === "local"
      ? { port: env.EMULATOR_PORT, identityPort: env.EMULATOR_IDENTITY_PORT, dir: path.join(dataDir, "emulator") }
      : null;
  const endpoints =
    env.APP_PROFILE === "local"
      ? {
          authorityHost: `https://localhost:${env.EMULATOR_PORT}`,
          armEndpoint: `https://localhost:${env.EMULATOR_PORT}`,
          keyVaultDnsSuffixes: [".vault.localhost"],
          /** The audience of Key Vault tokens. */
          keyVaultResource: "https://vault.localhost",
          /** The emulator's CA, trusted in addition to the system's, in the local profile only. */
          extraCaFile: path.join(dataDir, "emulator", "tls", "ca.pem") as string | null,
        }
      : {
          authorityHost: env.AZURE_AUTHORITY_HOST,
          armEndpoint: env.ARM_ENDPOINT,
          keyVaultDnsSuffixes: env.KEYVAULT_DNS_SUFFIXES,
          keyVaultResource: "https://vault.azure.net",
          extraCaFile: null,
        };
  const publicUrl = env.APP_PROFILE === "azure" ? env.PUBLIC_URL.replace(/\/$/, "") : `http://localhost:${env.PORT}`;
  const auth =
    env.APP_PROFILE === "azure"
      ? {
          tenantId: env.AZURE_TENANT_ID,
          clientId: env.AZURE_CLIENT_ID,
          clientSecret: env.AZURE_CLIENT_SECRET,
          apiAudiences: env.API_AUDIENCES ?? [`api://${env.AZURE_CLIENT_ID}`],
          /** null in the local profile: a random secret is kept in DATA_DIR (lib/auth/keys.ts). */
          sessionSecret: env.SESSION_SECRET as string | null,
        }
      : {
          tenantId: demoPortalApp.tenantId as string,
          clientId: demoPortalApp.clientId,
          clientSecret: demoPortalApp.secret,
          // Clients reach the API through the emulator's ARM endpoint with ARM tokens, or call it
          // directly with tokens for its App ID URI, as in Azure (the portal's app is the API's).
          apiAudiences: [endpoints.armEndpoint, `api://${demoPortalApp.clientId}`],
          sessionSecret: null,
        };
  return {
    profile: env.APP_PROFILE,
    port: env.PORT,
    keyDelivery: {
      port: env.KEY_DELIVERY_PORT,
      publicUrl: (
        env.KEY_DELIVERY_URL ?? (env.APP_PROFILE === "azure" ? publicUrl : `http://localhost:${env.KEY_DELIVERY_PORT}`)
      ).replace(/\/$/, ""),
    },
    /** The portal's address as browsers see it (redirect URIs, cookies). */
    publicUrl,
    /** The portal's app registration (multi-tenant sign-in) and the REST API's token audiences. */
    auth: { ...auth, authority: `${endpoints.authorityHost}/organizations` },
    sessions: { idleMs: env.SESSION_IDLE_MINUTES * 60_000, absoluteMs: env.SESSION_ABSOLUTE_HOURS * 3_600_000 },
    dataDir,
    logLevel: env.LOG_LEVEL,
    metrics: { token: env.METRICS_TOKEN ?? null, workerPort: env.WORKER_METRICS_PORT ?? null },
    database,
    /** Set when the launcher must start the local Azure emulator. */
    emulator,
    /** Where the Azure clients go: the emulator locally, Azure otherwise. */
    endpoints,
    /** The root of system-key accounts: the service's own key, read with the service's identity. */
    systemKey:
      env.APP_PROFILE === "azure"
        ? { keyId: env.SYSTEM_KEY_ID, identityClientId: env.SERVICE_IDENTITY_CLIENT_ID }
        : {
            keyId: `https://${demoPlatform.systemVault}.vault.localhost:${env.EMULATOR_PORT}/keys/${demoPlatform.systemKey}`,
            identityClientId: demoPlatform.serviceIdentity.clientId as string,
          },
    /** The platform's managed identity endpoint (azure profile; locally the launcher hands the emulator's to its processes). */
    managedIdentity:
      env.APP_PROFILE === "azure"
        ? { endpoint: env.IDENTITY_ENDPOINT ?? null, header: env.IDENTITY_HEADER ?? null }
        : null,
    /** Unwrapped account keys stay in memory this long at most (and leave at once when an account stops being usable). */
    accountKeyCacheSeconds: env.ACCOUNT_KEY_CACHE_SECONDS,
    accountChangePollMs: env.ACCOUNT_CHANGE_POLL_MS,
    accountChangeNotifications: env.ACCOUNT_CHANGE_NOTIFICATIONS,
    monitorIntervalMs: env.MONITOR_INTERVAL_SECONDS * 1000,
    monitorConcurrency: env.MONITOR_CONCURRENCY,
    checkCountsFlushMs: env.CHECK_COUNTS_FLUSH_SECONDS * 1000,
    identityCacheEntries: env.IDENTITY_CACHE_ENTRIES,
    managedIdentityTokenCacheEntries: env.MANAGED_IDENTITY_TOKEN_CACHE_ENTRIES,
    keyVaultOperationsPer10s: env.KEYVAULT_OPERATIONS_PER_10S,
    apiMaxBodyBytes: env.API_MAX_BODY_BYTES,
    trustedProxies: env.TRUSTED_PROXIES,
    /** The TLS floor the deployment's TLS termination enforces (accounts' minimumTlsVersion is checked against it). */
    tlsMinimumVersion: env.TLS_MINIMUM_VERSION,
    jobs: {
      pollIntervalMs: env.JOB_POLL_INTERVAL_SECONDS * 1000,
      concurrency: env.JOB_CONCURRENCY,
      inputMaxBytes: env.JOB_INPUT_MAX_BYTES,
      inputTimeoutMs: env.JOB_INPUT_TIMEOUT_SECONDS * 1000,
      ffmpegPath: env.FFMPEG_PATH ?? null,
      // Never in the azure profile: a job's URL must not reach the service's own network (SSRF).
      allowPrivateNetworks: env.APP_PROFILE === "local" && env.JOB_INPUT_ALLOW_PRIVATE_NETWORKS,
    },
  };
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const withProfile: Record<string, string | undefined> = { ...env, APP_PROFILE: env.APP_PROFILE || "local" };
  const parsed = Env.safeParse(withProfile);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join(".") || "environment";
      const value = issue.path.length === 1 ? withProfile[String(issue.path[0])] : undefined;
      const why = value === undefined || value === "" ? "is required" : issue.message;
      return `  - ${name}: ${why}`;
    });
    throw new ConfigError(
      `Invalid configuration for APP_PROFILE=${withProfile.APP_PROFILE} (see .env.example):\n${lines.join("\n")}`,
    );
  }
  return toConfig(parsed.data);
}

let cached: AppConfig | undefined;

/** The process's configuration, validated on first use. */
export function getConfig(): AppConfig {
  cached ??= loadConfig();
  return cached;
}
