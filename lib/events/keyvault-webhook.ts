import "server-only";
import { z } from "zod";
import { verifyEntraToken } from "@/lib/auth/bearer";
import { tenantIsKnown } from "@/lib/auth/role-store";
import { getConfig } from "@/lib/config";
import { armErrorBody, DomainError } from "@/lib/errors";
import { checkAccountsNow } from "@/lib/monitor/trigger";
import { eventGridAppId, keyVaultEventTypes } from "./key-vault-event-types";
import { accountsUsingVault, recordVaultEvent } from "./store";

/**
 * Key Vault's events from Event Grid, at the service's webhook. Every request, the handshakes
 * included, must carry an Entra ID token that Event Grid's AAD delivery got for this service's
 * app (signature, issuer of a tenant this service knows, audience this app, client Event Grid),
 * so nobody else can make the service do anything. Delivery with the topic's managed identity is
 * refused (see authenticateDelivery). An event only says "look now": the accounts
 * that use the vault (and key) are checked at once, and the check decides what is true; so a
 * duplicated, reordered, late or made-up event can at worst cause one more check.
 */

/** Event Grid delivers at most 1 MB per event and per batch. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Event ids seen lately: Event Grid delivers at least once, so a retry of a delivered event is skipped. */
const SEEN_MAX = 10_000;
const seen = new Set<string>();

const validationEventType = "Microsoft.EventGrid.SubscriptionValidationEvent";

const EventData = z.looseObject({
  Id: z.string().max(2048).optional(),
  VaultName: z.string().max(64).optional(),
  ObjectType: z.string().max(32).optional(),
  ObjectName: z.string().max(256).optional(),
  validationCode: z.string().max(256).optional(),
});
const GridEvent = z.object({
  id: z.string().min(1).max(256),
  eventType: z.string().min(1).max(256),
  subject: z.string().max(1024).default(""),
  topic: z.string().max(1024).optional(),
  data: EventData.default({}),
});
const CloudEvent = z.object({
  specversion: z.literal("1.0"),
  id: z.string().min(1).max(256),
  type: z.string().min(1).max(256),
  subject: z.string().max(1024).default(""),
  source: z.string().max(1024).optional(),
  data: EventData.default({}),
});

interface KeyVaultEvent {
  id: string;
  type: string;
  data: z.infer<typeof EventData>;
}

const json = (status: number, body?: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { ...(body === undefined ? {} : { "content-type": "application/json; charset=utf-8" }), ...headers },
  });

const refusal = (err: DomainError) =>
  json(err.status, armErrorBody(err), {
    ...(err.status === 401 ? { "www-authenticate": 'Bearer error="invalid_token"' } : {}),
    ...(err.retryAfterSeconds ? { "retry-after": String(err.retryAfterSeconds) } : {}),
  });

/** The tenant of a delivery that Event Grid's AAD delivery made for this app; throws DomainError otherwise. */
async function authenticateDelivery(authorization: string | null): Promise<string> {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
  if (!token) throw new DomainError("AuthenticationFailed", "Event deliveries must carry an Entra ID bearer token.");
  const { clientId } = getConfig().auth;
  const claims = await verifyEntraToken(token, [`api://${clientId}`, clientId]);
  // Only Event Grid's own app: a token of the system topic's managed identity (Event Grid's
  // deliveryWithResourceIdentity) would be any managed identity's to us, since the service cannot
  // tell, without rights on the customer's resource group, which identity is their topic's.
  if (claims.appid !== eventGridAppId && claims.azp !== eventGridAppId)
    throw new DomainError(
      "InvalidAuthenticationToken",
      "The token was not issued to Event Grid's app. Subscriptions must use Entra ID delivery as Event Grid " +
        "(azureActiveDirectoryApplicationIdOrUri), not the topic's managed identity (deliveryWithResourceIdentity).",
    );
  if (!(await tenantIsKnown(claims.tid!)))
    throw new DomainError(
      "InvalidAuthenticationTokenTenant",
      "The token's tenant holds no subscription of this service.",
    );
  return claims.tid!;
}

function parseEvents(contentType: string, body: unknown): KeyVaultEvent[] | null {
  if (/application\/cloudevents(-batch)?\+json/i.test(contentType)) {
    const parsed = z.union([CloudEvent, z.array(CloudEvent).max(5000)]).safeParse(body);
    if (!parsed.success) return null;
    return [parsed.data].flat().map((e) => ({ id: e.id, type: e.type, data: e.data }));
  }
  const parsed = z.array(GridEvent).max(5000).safeParse(body);
  return parsed.success ? parsed.data.map((e) => ({ id: e.id, type: e.eventType, data: e.data })) : null;
}

async function readJson(request: Request): Promise<unknown> {
  const length = Number(request.headers.get("content-length") ?? 0);
  if (length > MAX_BODY_BYTES) throw new DomainError("RequestEntityTooLarge", "An event delivery is at most 1 MB.");
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_BODY_BYTES)
    throw new DomainError("RequestEntityTooLarge", "An event delivery is at most 1 MB.");
  try {
    return JSON.parse(text);
  } catch {
    throw new DomainError("InvalidRequestContent", "The event delivery is not JSON.");
  }
}

/** The vault (host[:port]) and key an event is about; null for an event this service does not act on. */
function subjectOf(event: KeyVaultEvent): { vaultHost: string; keyName: string | null } | null {
  if (!(keyVaultEventTypes as readonly string[]).includes(event.type) || !event.data.Id) return null;
  let url: URL;
  try {
    url = new URL(event.data.Id);
  } catch {
    return null;
  }
  const { keyVaultDnsSuffixes } = getConfig().endpoints;
  if (url.protocol !== "https:" || !keyVaultDnsSuffixes.some((s) => url.hostname.toLowerCase().endsWith(s)))
    return null;
  const key = /^\/keys\/([0-9a-zA-Z-]{1,127})(\/|$)/.exec(url.pathname)?.[1] ?? null;
  if (event.type !== "Microsoft.KeyVault.VaultAccessPolicyChanged" && !key) return null;
  return {
    vaultHost: url.host.toLowerCase(),
    keyName: event.type === "Microsoft.KeyVault.VaultAccessPolicyChanged" ? null : key,
  };
}

/**
 * POST /api/events/keyvault: the validation handshake (echoes `validationCode`), then events.
 * Answers 200 as soon as the accounts are marked due; their checks run right after, here.
 */
export async function receiveKeyVaultEvents(request: Request): Promise<Response> {
  try {
    const tenantId = await authenticateDelivery(request.headers.get("authorization"));
    const events = parseEvents(request.headers.get("content-type") ?? "", await readJson(request));
    if (!events)
      throw new DomainError("InvalidRequestContent", "The body is not Event Grid events or CloudEvents 1.0.");
    const validation = events.find((e) => e.type === validationEventType);
    if (validation) {
      if (!validation.data.validationCode)
        throw new DomainError("InvalidRequestContent", "The validation event has no validationCode.");
      return json(200, { validationResponse: validation.data.validationCode });
    }
    const ids = new Set<string>();
    const fresh: string[] = [];
    for (const event of events) {
      const about = subjectOf(event);
      if (!about) continue;
      await recordVaultEvent({ tenantId, vaultHost: about.vaultHost, eventId: event.id, eventType: event.type });
      if (seen.has(event.id)) continue;
      fresh.push(event.id);
      for (const id of await accountsUsingVault({ tenantId, ...about })) ids.add(id);
    }
    await checkAccountsNow([...ids]);
    // Remembered once acted on: a delivery that failed before this point is retried by Event Grid in full.
    fresh.forEach(remember);
    return json(200);
  } catch (err) {
    if (err instanceof DomainError) return refusal(err);
    throw err;
  }
}

/** OPTIONS: CloudEvents' abuse-protection handshake, for an authenticated Event Grid only. */
export async function allowEventGridOrigin(request: Request): Promise<Response> {
  try {
    await authenticateDelivery(request.headers.get("authorization"));
  } catch (err) {
    if (err instanceof DomainError) return refusal(err);
    throw err;
  }
  const origin = request.headers.get("webhook-request-origin");
  if (origin !== "eventgrid.azure.net") return json(400);
  return json(200, undefined, {
    "webhook-allowed-origin": origin,
    "webhook-allowed-rate": "*",
    allow: "POST, OPTIONS",
  });
}

function remember(id: string) {
  if (seen.size >= SEEN_MAX) seen.delete(seen.values().next().value!);
  seen.add(id);
}
