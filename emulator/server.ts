/**
 * The local Azure emulator: one HTTPS port routed by host name, as Azure's endpoints are
 *   https://{vault}.vault.localhost:{port}  Key Vault keys data plane
 *   https://localhost:{port}/{tenant}/...   Entra ID
 *   https://localhost:{port}/subscriptions  Azure Resource Manager (Microsoft.Media forwarded)
 *   https://localhost:{port}/_emulator/...  test controls (faults, counters, consents), when enabled
 * and the managed identity endpoint on plain HTTP at 127.0.0.1, as App Service has it.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { z } from "zod";
import { armRoutes } from "./arm";
import { bulkIdentities, bulkVault } from "./bulk";
import { entraRoutes, jwtBearerGrant } from "./entra";
import { EventGrid, eventGridRoutes } from "./event-grid";
import { FaultInput, Faults, type Call, type Fault } from "./faults";
import { parseBody, reply, ReplyError, type EmuRequest, type Reply } from "./http";
import { keyVaultDataPlane } from "./key-vault";
import { managedIdentityRoutes } from "./managed-identity";
import { demoState } from "./seed";
import { StateStore } from "./state";
import { loadOrCreateTls } from "./tls";
import { logger } from "@/lib/observability/logger";
import { TokenService } from "./tokens";

/** An admin's consent for an app in a tenant, as a test sets it; no scopes revokes it. */
const ConsentInput = z.object({
  clientId: z.string().min(1),
  tenantId: z.string().min(1),
  resource: z.string().min(1),
  scopes: z.array(z.string().min(1)),
});

export interface EmulatorOptions {
  dataDir: string;
  /** HTTPS port; 0 picks a free one. */
  port?: number;
  /** Managed identity endpoint port (plain HTTP on 127.0.0.1); 0 picks a free one. */
  identityPort?: number;
  /** Where requests for providers/Microsoft.Media are forwarded: the portal's base URL. */
  resourceProviderUrl?: string;
  /** Serve /_emulator test controls (faults, counters, reset). */
  admin?: boolean;
  /** The managed identity endpoint's shared secret; kept from the last start when omitted. */
  identityHeader?: string;
  /** Multiplies Event Grid's retry delays (1: Azure's schedule; tests use a small fraction). */
  eventGridTimeScale?: number;
}

export interface RunningEmulator {
  /** https://localhost:{port}: Entra ID authority host and ARM endpoint. */
  url: string;
  port: number;
  /** IDENTITY_ENDPOINT for ManagedIdentityCredential. */
  identityEndpoint: string;
  /** IDENTITY_HEADER for ManagedIdentityCredential. */
  identityHeader: string;
  caPem: string;
  vaultUrl(name: string): string;
  stop(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

async function readRequest(req: http.IncomingMessage): Promise<EmuRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new ReplyError(
        reply(413, { error: { code: "RequestTooLarge", message: "The request body is too large." } }),
      );
    chunks.push(chunk as Buffer);
  }
  const raw = Buffer.concat(chunks);
  const host = (req.headers.host ?? "localhost").toLowerCase();
  return {
    method: req.method ?? "GET",
    url: new URL(req.url ?? "/", `https://${host}`),
    hostname: host.replace(/:\d+$/, ""),
    headers: req.headers,
    raw,
    body: parseBody(raw, req.headers["content-type"]),
  };
}

function send(res: http.ServerResponse, r: Reply) {
  if (r.drop) {
    res.socket?.destroy();
    return;
  }
  const headers: Record<string, string> = { "x-ms-request-id": crypto.randomUUID(), ...r.headers };
  if (r.html !== undefined) {
    res.writeHead(r.status, { ...headers, "Content-Type": "text/html; charset=utf-8" }).end(r.html);
  } else if (r.json !== undefined) {
    res
      .writeHead(r.status, { ...headers, "Content-Type": "application/json; charset=utf-8" })
      .end(JSON.stringify(r.json));
  } else {
    res.writeHead(r.status, headers).end();
  }
}

/** Applies the faults a call triggered; returns a reply when one replaces the real answer. */
async function applyFaults(fired: Fault[]): Promise<Reply | null> {
  for (const fault of fired) {
    if (fault.kind === "latency") await new Promise((r) => setTimeout(r, fault.latencyMs));
  }
  const failing = fired.find((f) => f.kind !== "latency");
  if (!failing) return null;
  if (failing.kind === "drop") return { status: 0, drop: true };
  const status = failing.status!;
  const code = status === 429 ? "Throttled" : status === 503 ? "ServiceUnavailable" : "InternalServerError";
  const headers: Record<string, string> =
    failing.retryAfterSeconds !== undefined ? { "Retry-After": String(failing.retryAfterSeconds) } : {};
  return reply(status, { error: { code, message: `Injected fault (${status}) from the local emulator.` } }, headers);
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const tls = await loadOrCreateTls(path.join(options.dataDir, "tls"));
  const store = await StateStore.open(options.dataDir, demoState);
  if (options.identityHeader && options.identityHeader !== store.state.identityHeader) {
    store.state.identityHeader = options.identityHeader;
    await store.save();
  }
  let port = 0;
  const currentPort = () => port;
  const faults = new Faults();

  // Handlers are attached synchronously right after listen resolves, so no request finds them missing.
  const httpsServer = https.createServer({ cert: tls.certPem, key: tls.keyPem });
  port = await listen(httpsServer, options.port ?? 0);
  const url = `https://localhost:${port}`;
  const tokens = new TokenService(store.state.signingKey, url);
  const grid = new EventGrid(store, tokens, faults, () => url, { timeScale: options.eventGridTimeScale });
  grid.startExpirySweep();
  const keyVault = keyVaultDataPlane(store, tokens, currentPort, grid);
  const entra = entraRoutes(store, tokens);
  const arm = armRoutes(store, tokens, currentPort, grid);
  const eventGrid = eventGridRoutes(store, grid, arm.auth);
  const identity = managedIdentityRoutes(store.state, tokens);

  async function admin(req: EmuRequest): Promise<Reply> {
    const sub = req.url.pathname.replace(/^\/_emulator/, "");
    if (req.method === "GET" && sub === "/health") return reply(200, { status: "ok" });
    if (req.method === "GET" && sub === "/ca.pem")
      return { status: 200, html: tls.caPem, headers: { "Content-Type": "application/x-pem-file" } };
    if (req.method === "GET" && sub === "/counters") return reply(200, faults.counters());
    if (req.method === "GET" && sub === "/requests") {
      const target = FaultInput.shape.target.safeParse(req.url.searchParams.get("target") ?? undefined);
      if (!target.success) return reply(400, { error: { code: "BadParameter", message: "target: unknown surface" } });
      return reply(200, { value: faults.requests(target.data, req.url.searchParams.get("vault") ?? undefined) });
    }
    if (req.method === "GET" && sub === "/eventgrid/deadletters") return reply(200, { value: grid.deadLettered });
    if (req.method === "GET" && sub === "/faults") return reply(200, { value: faults.list() });
    if (req.method === "POST" && sub === "/faults") {
      const parsed = FaultInput.safeParse(req.body);
      if (!parsed.success)
        return reply(400, {
          error: {
            code: "BadParameter",
            message: parsed.error.issues.map((i) => `${i.path.join(".") || "fault"}: ${i.message}`).join("; "),
          },
        });
      return reply(201, faults.add(parsed.data));
    }
    if (req.method === "DELETE" && sub.startsWith("/faults")) {
      faults.remove(sub.split("/")[2]);
      return { status: 204 };
    }
    if (req.method === "PUT" && sub === "/consents") {
      const parsed = ConsentInput.safeParse(req.body);
      if (!parsed.success)
        return reply(400, {
          error: {
            code: "BadParameter",
            message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "),
          },
        });
      const { clientId, tenantId, resource } = parsed.data;
      const others = (store.state.consents ?? []).filter(
        (c) => !(c.clientId === clientId && c.tenantId === tenantId && c.resource === resource),
      );
      store.state.consents = parsed.data.scopes.length ? [...others, parsed.data] : others;
      await store.save();
      return { status: 204 };
    }
    if (req.method === "POST" && sub === "/bulk/vault")
      return bulkVault(store, req.body, (name) => `https://${name}.vault.localhost:${port}`);
    if (req.method === "POST" && sub === "/bulk/identities") return bulkIdentities(store, req.body);
    if (req.method === "POST" && sub === "/reset") {
      faults.reset();
      return { status: 204 };
    }
    return reply(404, { error: { code: "NotFound", message: "Unknown emulator control." } });
  }

  async function forwardToResourceProvider(req: EmuRequest): Promise<Reply> {
    if (!options.resourceProviderUrl) {
      return reply(404, {
        error: {
          code: "NoRegisteredProviderFound",
          message: "No resource provider is registered for Microsoft.Media: start the emulator with the portal's URL.",
        },
      });
    }
    const target = new URL(req.url.pathname + req.url.search, options.resourceProviderUrl);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !["host", "connection", "content-length", "transfer-encoding"].includes(k))
        headers.set(k, Array.isArray(v) ? v.join(", ") : v);
    }
    headers.set("x-forwarded-host", `localhost:${port}`);
    headers.set("x-forwarded-proto", "https");
    let upstream: Response;
    try {
      upstream = await fetch(target, {
        method: req.method,
        headers,
        body: req.raw.length ? new Uint8Array(req.raw) : undefined,
        redirect: "manual",
      });
    } catch {
      return reply(502, {
        error: {
          code: "ResourceProviderUnreachable",
          message: "The Microsoft.Media resource provider (the portal) did not answer.",
        },
      });
    }
    const text = await upstream.text();
    const passed: Record<string, string> = {};
    for (const name of ["location", "azure-asyncoperation", "retry-after", "etag", "x-ms-request-id"]) {
      const value = upstream.headers.get(name);
      if (value) passed[name] = value;
    }
    if (!text) return { status: upstream.status, headers: passed };
    return {
      status: upstream.status,
      headers: passed,
      ...(upstream.headers.get("content-type")?.includes("json") ? { json: JSON.parse(text) } : { html: text }),
    };
  }

  async function route(req: EmuRequest): Promise<Reply> {
    const vaultHost = /^([a-z0-9-]+)\.vault\.localhost$/.exec(req.hostname);
    if (vaultHost) {
      const call = keyVault.classify(req, vaultHost[1]!);
      const injected = await applyFaults(faults.record({ target: "keyvault", ...call }));
      return injected ?? keyVault.handle(req, vaultHost[1]!);
    }
    const p = req.url.pathname;
    if (p.startsWith("/_emulator/")) {
      return options.admin
        ? admin(req)
        : reply(404, { error: { code: "NotFound", message: "Test controls are off." } });
    }
    if (/\/providers\/Microsoft\.Media(\/|$)/i.test(p) && !/\/providers\/Microsoft\.ManagedIdentity\//i.test(p))
      return forwardToResourceProvider(req);
    if (/^\/eventsubscriptions\/[^/]+\/validate$/i.test(p) && req.method === "GET") return grid.manualValidation(req);
    if (/^\/(subscriptions|providers)(\/|$)/i.test(p)) {
      return (
        (await eventGrid.handle(req)) ??
        (await arm.handle(req)) ??
        reply(404, {
          error: { code: "InvalidResourceType", message: `The resource type for '${p}' could not be found.` },
        })
      );
    }
    // Signing-key fetches and on-behalf-of exchanges are counted (and can fail on demand): a token
    // verifier must cache the keys, and an API its on-behalf-of tokens.
    const counted = /\/discovery\/(v2\.0\/)?keys$/.test(p)
      ? "jwks"
      : /\/oauth2\/(v2\.0\/)?token$/.test(p) &&
          (req.body as { grant_type?: unknown } | undefined)?.grant_type === jwtBearerGrant
        ? "on-behalf-of"
        : null;
    const entraFault = counted ? await applyFaults(faults.record({ target: "entra", operation: counted })) : null;
    return (
      entraFault ??
      (await entra.dispatch(req)) ??
      reply(404, { error: "not_found", error_description: `No Entra ID endpoint at ${p}.` })
    );
  }

  function handler(routeFor: (req: EmuRequest) => Promise<Reply>) {
    return async (req: http.IncomingMessage, res: http.ServerResponse) => {
      try {
        send(res, await routeFor(await readRequest(req)));
      } catch (err) {
        if (err instanceof ReplyError) return send(res, err.reply);
        logger("emulator").error({ err }, "request failed");
        send(res, reply(500, { error: { code: "InternalError", message: "The emulator failed on this request." } }));
      }
    };
  }

  httpsServer.on("request", handler(route));
  const identityServer = http.createServer(
    handler(async (req) => {
      const injected = await applyFaults(
        faults.record({ target: "managed-identity", operation: "token" } satisfies Call),
      );
      return injected ?? (await identity.dispatch(req)) ?? reply(404, { statusCode: 404, message: "Not found." });
    }),
  );
  const identityPort = await listen(identityServer, options.identityPort ?? 0);

  return {
    url,
    port,
    identityEndpoint: `http://127.0.0.1:${identityPort}/msi/token`,
    identityHeader: store.state.identityHeader,
    caPem: tls.caPem,
    vaultUrl: (name) => `https://${name}.vault.localhost:${port}`,
    async stop() {
      grid.stop();
      httpsServer.closeAllConnections();
      identityServer.closeAllConnections();
      await Promise.all([new Promise((r) => httpsServer.close(r)), new Promise((r) => identityServer.close(r))]);
      await store.save();
    },
  };
}
