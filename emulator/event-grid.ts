/**
 * Event Grid for Key Vault, as Azure runs it: a system topic (`Microsoft.EventGrid/systemTopics`,
 * topic type `Microsoft.KeyVault.vaults`) per vault, event subscriptions on it with a webhook
 * destination, and delivery of the vault's events to that webhook:
 * - the validation handshake when a subscription is created: a `SubscriptionValidationEvent` whose
 *   `validationCode` the endpoint echoes back, or whose `validationUrl` it GETs (manual handshake,
 *   the subscription stays `AwaitingManualAction` until then); CloudEvents 1.0 subscriptions get
 *   the CloudEvents abuse-protection handshake (OPTIONS, `WebHook-Request-Origin`) instead;
 * - the Event Grid schema (a JSON array) or CloudEvents 1.0 (structured mode, one event a request);
 * - Event Grid's retry schedule (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h, then every
 *   12 h), within `maxDeliveryAttempts` and `eventTimeToLiveInMinutes`; 400, 401, 403, 404 and 413
 *   are not retried; what cannot be delivered is dead-lettered (when a destination is set) or dropped;
 * - Entra-protected delivery: with `azureActiveDirectoryApplicationIdOrUri`, each request carries
 *   an access token for that app issued to Event Grid's own app (or to the topic's managed identity
 *   with `deliveryWithResourceIdentity`).
 * Retries are kept in memory (a restart forgets them); `timeScale` shortens the schedule for tests.
 */
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { eventGridAppId, keyVaultEventTypes, type KeyVaultEventType } from "@/lib/events/key-vault-event-types";
import type { Call, Faults } from "./faults";
import { reply, ReplyError, Router, type EmuRequest, type Reply } from "./http";
import type { StateStore, Vault } from "./state";
import type { TokenClaims, TokenService } from "./tokens";
import { vaultResourceId } from "./vault-ids";

/** Its service principal's object id in every tenant of the emulator. */
export const eventGridPrincipalId = "c8a9a2b1-6d3e-4f5a-9b7c-2e1d0f3a4b5c";

/** Event Grid's published retry schedule, then every 12 hours. */
export const retryScheduleMs = [10, 30, 60, 300, 600, 1800, 3600, 10_800, 21_600].map((s) => s * 1000);
const retryAfterScheduleMs = 43_200_000;
/** Event Grid waits 30 s for an endpoint's answer. */
const deliveryTimeoutMs = 30_000;
const manualValidationMs = 5 * 60_000;
/** Answers Event Grid does not retry for a webhook. */
const notRetried = new Set([400, 401, 403, 404, 413]);
/** Key Vault announces a key's expiry 30 days ahead. */
const nearExpiryMs = 30 * 86_400_000;

export interface SystemTopic {
  id: string;
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  source: string;
  topicType: string;
  /** The topic's system-assigned identity (client id), when it has one. */
  identityClientId?: string;
  identityPrincipalId?: string;
}

export interface EventSubscription {
  id: string;
  name: string;
  topicId: string;
  endpointUrl: string;
  maxEventsPerBatch: number;
  aadTenantId?: string;
  aadAppIdOrUri?: string;
  withResourceIdentity: boolean;
  includedEventTypes?: string[];
  subjectBeginsWith?: string;
  subjectEndsWith?: string;
  schema: "EventGridSchema" | "CloudEventSchemaV1_0";
  maxDeliveryAttempts: number;
  eventTimeToLiveInMinutes: number;
  deadLetter?: { resourceId: string; blobContainerName: string };
  provisioningState: "Succeeded" | "AwaitingManualAction";
  /** The manual handshake's code and until when its URL works. */
  validation?: { code: string; until: number };
}

/** A vault's event in Event Grid's schema: what Key Vault publishes. */
export interface GridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: "1";
}

export interface DeadLetteredEvent {
  subscription: string;
  container: string;
  event: GridEvent;
  deadLetterReason: "MaxDeliveryAttemptsExceeded" | "TimeToLiveExceeded" | "NonRetriableError";
  deliveryAttempts: number;
  lastDeliveryOutcome: string;
  lastHttpStatusCode: number;
  publishTime: string;
  lastDeliveryAttemptTime: string;
}

type Stored = { systemTopics?: Record<string, SystemTopic>; eventSubscriptions?: Record<string, EventSubscription> };

const Destination = z.object({
  endpointType: z.literal("WebHook"),
  properties: z.object({
    endpointUrl: z.url({ protocol: /^https?$/ }),
    maxEventsPerBatch: z.number().int().min(1).max(5000).optional(),
    preferredBatchSizeInKilobytes: z.number().int().min(1).max(1024).optional(),
    azureActiveDirectoryTenantId: z.string().optional(),
    azureActiveDirectoryApplicationIdOrUri: z.string().min(1).optional(),
  }),
});

const EventSubscriptionBody = z.object({
  properties: z
    .object({
      destination: Destination.optional(),
      deliveryWithResourceIdentity: z
        .object({ identity: z.object({ type: z.literal("SystemAssigned") }), destination: Destination })
        .optional(),
      filter: z
        .object({
          includedEventTypes: z.array(z.string()).nullish(),
          subjectBeginsWith: z.string().optional(),
          subjectEndsWith: z.string().optional(),
          isSubjectCaseSensitive: z.boolean().optional(),
        })
        .optional(),
      eventDeliverySchema: z.enum(["EventGridSchema", "CloudEventSchemaV1_0"]).default("EventGridSchema"),
      retryPolicy: z
        .object({
          maxDeliveryAttempts: z.number().int().min(1).max(30).default(30),
          eventTimeToLiveInMinutes: z.number().int().min(1).max(1440).default(1440),
        })
        .default({ maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 }),
      deadLetterDestination: z
        .object({
          endpointType: z.literal("StorageBlob"),
          properties: z.object({ resourceId: z.string().min(1), blobContainerName: z.string().min(1) }),
        })
        .optional(),
      labels: z.array(z.string()).optional(),
    })
    .refine((p) => !!p.destination !== !!p.deliveryWithResourceIdentity, {
      message: "Exactly one of destination and deliveryWithResourceIdentity is required.",
    }),
});

const SystemTopicBody = z.object({
  location: z.string().min(1),
  identity: z.object({ type: z.enum(["None", "SystemAssigned"]) }).optional(),
  properties: z.object({ source: z.string().min(1), topicType: z.string().min(1) }),
});

const armError = (status: number, code: string, message: string) =>
  new ReplyError(reply(status, { error: { code, message } }));

const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export interface EventGridOptions {
  /** Multiplies every delay of the retry schedule (tests use a small fraction). */
  timeScale?: number;
}

/** The delivery engine: publishes a vault's events to the matching subscriptions and retries them. */
export class EventGrid {
  readonly deadLettered: DeadLetteredEvent[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly announced = new Set<string>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: StateStore,
    private readonly tokens: TokenService,
    private readonly faults: Faults,
    private readonly validationBase: () => string,
    private readonly options: EventGridOptions = {},
  ) {}

  get stored(): Required<Stored> {
    const s = this.store.state as unknown as Stored;
    s.systemTopics ??= {};
    s.eventSubscriptions ??= {};
    return s as Required<Stored>;
  }

  private scale(ms: number) {
    return ms * (this.options.timeScale ?? 1);
  }

  /** Key Vault publishes one of its events for `vault`; subject is the key's name or the vault's. */
  publish(vault: Vault, eventType: KeyVaultEventType, subject: string, data: Record<string, unknown>) {
    const source = vaultResourceId(vault);
    const topics = Object.values(this.stored.systemTopics).filter((t) => sameId(t.source, source));
    if (!topics.length) return;
    const event: GridEvent = {
      id: randomUUID(),
      topic: source,
      subject,
      eventType,
      eventTime: new Date().toISOString(),
      data: { VaultName: vault.name, ...data },
      dataVersion: "1",
      metadataVersion: "1",
    };
    for (const topic of topics) {
      for (const sub of Object.values(this.stored.eventSubscriptions)) {
        if (!sameId(sub.topicId, topic.id) || sub.provisioningState !== "Succeeded" || !matches(sub, event)) continue;
        void this.deliver(sub, topic, vault.name, event, 1, Date.now());
      }
    }
  }

  /**
   * Announces KeyNearExpiry and KeyExpired once for the current version of each key (as Key
   * Vault does), checked every `everyMs`.
   */
  startExpirySweep(everyMs = 1000) {
    this.sweeper = setInterval(() => {
      if (!Object.keys(this.stored.eventSubscriptions).length) return;
      const now = Date.now();
      for (const vault of Object.values(this.store.state.vaults)) {
        for (const rec of Object.values(vault.keys)) {
          const v = rec.versions[rec.versions.length - 1];
          if (!v?.attributes.exp) continue;
          const exp = v.attributes.exp * 1000;
          const data = keyEventData(vault, rec.name, v.version, v.attributes);
          for (const [type, due] of [
            ["Microsoft.KeyVault.KeyNearExpiry", exp - nearExpiryMs],
            ["Microsoft.KeyVault.KeyExpired", exp],
          ] as const) {
            const once = `${vault.name}/${rec.name}/${v.version}/${type}`;
            if (now < due || this.announced.has(once)) continue;
            this.announced.add(once);
            this.publish(vault, type, rec.name, data);
          }
        }
      }
    }, everyMs);
    this.sweeper.unref();
  }

  private async authorization(sub: EventSubscription, topic: SystemTopic): Promise<Record<string, string>> {
    if (!sub.aadAppIdOrUri) return {};
    const tenant = sub.aadTenantId ?? this.store.state.subscriptions[topic.subscriptionId.toLowerCase()]?.tenantId;
    if (!tenant) return {};
    const asTopic = sub.withResourceIdentity && topic.identityClientId;
    const { token } = await this.tokens.issue(
      {
        tid: tenant,
        aud: sub.aadAppIdOrUri,
        oid: asTopic ? topic.identityPrincipalId! : eventGridPrincipalId,
        sub: asTopic ? topic.identityPrincipalId! : eventGridPrincipalId,
        appid: asTopic ? topic.identityClientId! : eventGridAppId,
        azp: asTopic ? topic.identityClientId! : eventGridAppId,
        idtyp: "app",
      },
      3600,
    );
    return { authorization: `Bearer ${token}` };
  }

  /** One HTTP exchange with the endpoint, after the faults injected for this vault's deliveries. */
  private async send(
    sub: EventSubscription,
    topic: SystemTopic,
    vaultName: string,
    operation: "deliver" | "validate",
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const fired = this.faults.record({ target: "eventgrid", vault: vaultName, operation } satisfies Call);
    for (const f of fired) if (f.kind === "latency") await new Promise((r) => setTimeout(r, f.latencyMs));
    const failing = fired.find((f) => f.kind !== "latency");
    if (failing?.kind === "status") return { status: failing.status!, text: "", headers: new Headers() };
    if (failing?.kind === "drop") return { status: 0, text: "", headers: new Headers() };
    try {
      const res = await fetch(sub.endpointUrl, {
        method: init.method,
        headers: { ...init.headers, ...(await this.authorization(sub, topic)) },
        body: init.body,
        signal: AbortSignal.timeout(deliveryTimeoutMs),
        redirect: "manual",
      });
      return { status: res.status, text: await res.text(), headers: res.headers };
    } catch {
      return { status: 0, text: "", headers: new Headers() };
    }
  }

  private async deliver(
    sub: EventSubscription,
    topic: SystemTopic,
    vaultName: string,
    event: GridEvent,
    attempt: number,
    publishedAt: number,
  ) {
    const cloud = sub.schema === "CloudEventSchemaV1_0";
    const res = await this.send(sub, topic, vaultName, "deliver", {
      method: "POST",
      headers: {
        "content-type": cloud ? "application/cloudevents+json; charset=utf-8" : "application/json; charset=utf-8",
        "aeg-event-type": "Notification",
        "aeg-subscription-name": sub.name.toUpperCase(),
        "aeg-delivery-count": String(attempt - 1),
        "aeg-data-version": event.dataVersion,
        "aeg-metadata-version": "1",
      },
      body: JSON.stringify(cloud ? toCloudEvent(event) : [event]),
    });
    const tally = (op: string) => this.faults.tally({ target: "eventgrid", vault: vaultName, operation: op });
    if (res.status >= 200 && res.status < 300) return tally("delivered");
    tally("failed");
    const expired = Date.now() - publishedAt >= this.scale(sub.eventTimeToLiveInMinutes * 60_000);
    const final = notRetried.has(res.status) || attempt >= sub.maxDeliveryAttempts || expired;
    if (!final) {
      tally("retried");
      const delay = this.scale(retryScheduleMs[attempt - 1] ?? retryAfterScheduleMs);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const current = this.stored.eventSubscriptions[sub.id.toLowerCase()];
        if (current) void this.deliver(current, topic, vaultName, event, attempt + 1, publishedAt);
      }, delay);
      this.timers.add(timer);
      return;
    }
    if (!sub.deadLetter) return tally("dropped");
    tally("deadLettered");
    this.deadLettered.push({
      subscription: sub.id,
      container: sub.deadLetter.blobContainerName,
      event,
      deadLetterReason: notRetried.has(res.status)
        ? "NonRetriableError"
        : expired
          ? "TimeToLiveExceeded"
          : "MaxDeliveryAttemptsExceeded",
      deliveryAttempts: attempt,
      lastDeliveryOutcome: res.status === 0 ? "TimedOut" : notRetried.has(res.status) ? "Rejected" : "Failed",
      lastHttpStatusCode: res.status,
      publishTime: new Date(publishedAt).toISOString(),
      lastDeliveryAttemptTime: new Date().toISOString(),
    });
  }

  /**
   * The handshake at creation: Succeeded when the endpoint echoes the code (or, for CloudEvents,
   * allows Event Grid's origin), AwaitingManualAction when it answers 2xx without it (it may GET
   * the validationUrl within 5 minutes), otherwise an error and no subscription.
   */
  async validate(sub: EventSubscription, topic: SystemTopic, vaultName: string): Promise<void> {
    const code = randomUUID().toUpperCase();
    const validationUrl = `${this.validationBase()}/eventsubscriptions/${encodeURIComponent(sub.name)}/validate?id=${encodeURIComponent(sub.id)}&t=${encodeURIComponent(code)}`;
    if (sub.schema === "CloudEventSchemaV1_0") {
      const res = await this.send(sub, topic, vaultName, "validate", {
        method: "OPTIONS",
        headers: {
          "webhook-request-origin": "eventgrid.azure.net",
          "webhook-request-callback": validationUrl,
          "webhook-request-rate": "120",
        },
      });
      const allowed = res.headers.get("webhook-allowed-origin");
      if (res.status === 200 && (allowed === "*" || allowed === "eventgrid.azure.net")) {
        sub.provisioningState = "Succeeded";
        return;
      }
      throw handshakeFailed(sub, res.status);
    }
    const event: GridEvent = {
      id: randomUUID(),
      topic: topic.source,
      subject: "",
      eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
      eventTime: new Date().toISOString(),
      data: { validationCode: code, validationUrl },
      dataVersion: "2",
      metadataVersion: "1",
    };
    const res = await this.send(sub, topic, vaultName, "validate", {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        "aeg-event-type": "SubscriptionValidation",
        "aeg-subscription-name": sub.name.toUpperCase(),
        "aeg-delivery-count": "0",
        "aeg-data-version": "2",
        "aeg-metadata-version": "1",
      },
      body: JSON.stringify([event]),
    });
    if (res.status < 200 || res.status >= 300) throw handshakeFailed(sub, res.status);
    let echoed: unknown;
    try {
      echoed = (JSON.parse(res.text) as { validationResponse?: unknown }).validationResponse;
    } catch {
      echoed = undefined;
    }
    if (echoed === code) {
      sub.provisioningState = "Succeeded";
      delete sub.validation;
    } else {
      sub.provisioningState = "AwaitingManualAction";
      sub.validation = { code, until: Date.now() + manualValidationMs };
    }
  }

  /** GET validationUrl: the manual handshake. */
  async manualValidation(req: EmuRequest): Promise<Reply> {
    const id = req.url.searchParams.get("id") ?? "";
    const code = req.url.searchParams.get("t") ?? "";
    const sub = this.stored.eventSubscriptions[id.toLowerCase()];
    if (!sub?.validation || sub.validation.code !== code || sub.validation.until < Date.now())
      return reply(400, {
        error: { code: "InvalidValidationUrl", message: "The validation URL is invalid or expired (5 minutes)." },
      });
    sub.provisioningState = "Succeeded";
    delete sub.validation;
    await this.store.save();
    return {
      status: 200,
      html: "Webhook successfully validated as a result of user's validation response",
      headers: { "Content-Type": "text/plain" },
    };
  }

  stop() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    if (this.sweeper) clearInterval(this.sweeper);
  }
}

function handshakeFailed(sub: EventSubscription, status: number) {
  const outcome = status === 0 ? "did not answer" : `answered ${status}`;
  return armError(
    400,
    "Url validation",
    `Webhook validation handshake failed for ${new URL(sub.endpointUrl).origin}${new URL(sub.endpointUrl).pathname}: the endpoint ${outcome}. For troubleshooting, visit https://aka.ms/esvalidation.`,
  );
}

function matches(sub: EventSubscription, event: GridEvent) {
  if (sub.includedEventTypes?.length && !sub.includedEventTypes.some((t) => sameId(t, event.eventType))) return false;
  const subject = event.subject.toLowerCase();
  if (sub.subjectBeginsWith && !subject.startsWith(sub.subjectBeginsWith.toLowerCase())) return false;
  if (sub.subjectEndsWith && !subject.endsWith(sub.subjectEndsWith.toLowerCase())) return false;
  return true;
}

/** The same event in CloudEvents 1.0 (structured mode), as Event Grid maps it. */
export function toCloudEvent(e: GridEvent) {
  return {
    specversion: "1.0",
    id: e.id,
    source: e.topic,
    subject: e.subject,
    type: e.eventType,
    time: e.eventTime,
    datacontenttype: "application/json",
    data: e.data,
  };
}

/** A key event's data, with Key Vault's field names. */
export function keyEventData(
  vault: Vault,
  key: string,
  version: string,
  attributes: { nbf?: number; exp?: number },
  vaultUrl?: string,
): Record<string, unknown> {
  return {
    Id: `${vaultUrl ?? `https://${vault.name}.vault.azure.net`}/keys/${key}/${version}`,
    ObjectType: "Key",
    ObjectName: key,
    Version: version,
    NBF: attributes.nbf ?? null,
    EXP: attributes.exp ?? null,
  };
}

export interface ArmAuth {
  caller(req: EmuRequest): Promise<TokenClaims>;
  subscriptionOf(id: string, claims: TokenClaims): { id: string; tenantId: string };
  resourceGroupOf(sub: string, rg: string): { name: string; location: string };
  authorizeScope(scope: string, claims: TokenClaims, action: string, write: boolean): void;
}

export const eventGridApiVersions = ["2022-06-15", "2023-12-15-preview", "2024-06-01-preview", "2025-02-15"];

/** ARM's Microsoft.EventGrid/systemTopics and their eventSubscriptions. */
export function eventGridRoutes(store: StateStore, grid: EventGrid, auth: ArmAuth) {
  const topicPath =
    "^/subscriptions/(?<sub>[^/]+)/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\\.EventGrid/systemTopics";
  const re = (s: string) => new RegExp(`${s}/?$`, "i");
  const topicId = (sub: string, rg: string, name: string) =>
    `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.EventGrid/systemTopics/${name}`;

  function topicIn(p: Record<string, string>): SystemTopic {
    const t = grid.stored.systemTopics[topicId(p.sub!, p.rg!, p.topic!).toLowerCase()];
    if (!t)
      throw armError(
        404,
        "ResourceNotFound",
        `The Resource 'Microsoft.EventGrid/systemTopics/${p.topic}' under resource group '${p.rg}' was not found.`,
      );
    return t;
  }

  function vaultOf(topic: SystemTopic): Vault {
    const v = Object.values(store.state.vaults).find((x) => sameId(vaultResourceId(x), topic.source));
    if (!v) throw armError(400, "InvalidSource", `The source '${topic.source}' of the system topic no longer exists.`);
    return v;
  }

  const topicJson = (t: SystemTopic) => ({
    id: t.id,
    name: t.name,
    type: "Microsoft.EventGrid/systemTopics",
    location: t.location,
    ...(t.identityPrincipalId
      ? { identity: { type: "SystemAssigned", principalId: t.identityPrincipalId, tenantId: undefined } }
      : {}),
    properties: { source: t.source, topicType: t.topicType, metricResourceId: t.id, provisioningState: "Succeeded" },
  });

  const subscriptionJson = (s: EventSubscription) => {
    const url = new URL(s.endpointUrl);
    const destination = {
      endpointType: "WebHook",
      properties: {
        endpointBaseUrl: `${url.origin}${url.pathname}`,
        maxEventsPerBatch: s.maxEventsPerBatch,
        preferredBatchSizeInKilobytes: 64,
        ...(s.aadAppIdOrUri
          ? { azureActiveDirectoryTenantId: s.aadTenantId, azureActiveDirectoryApplicationIdOrUri: s.aadAppIdOrUri }
          : {}),
      },
    };
    return {
      id: s.id,
      name: s.name,
      type: "Microsoft.EventGrid/systemTopics/eventSubscriptions",
      properties: {
        topic: grid.stored.systemTopics[s.topicId.toLowerCase()]?.source ?? s.topicId,
        provisioningState: s.provisioningState,
        ...(s.withResourceIdentity
          ? { deliveryWithResourceIdentity: { identity: { type: "SystemAssigned" }, destination } }
          : { destination }),
        filter: {
          ...(s.includedEventTypes ? { includedEventTypes: s.includedEventTypes } : {}),
          subjectBeginsWith: s.subjectBeginsWith ?? "",
          subjectEndsWith: s.subjectEndsWith ?? "",
          isSubjectCaseSensitive: false,
        },
        eventDeliverySchema: s.schema,
        retryPolicy: {
          maxDeliveryAttempts: s.maxDeliveryAttempts,
          eventTimeToLiveInMinutes: s.eventTimeToLiveInMinutes,
        },
        ...(s.deadLetter ? { deadLetterDestination: { endpointType: "StorageBlob", properties: s.deadLetter } } : {}),
      },
    };
  };

  const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw armError(
        400,
        "InvalidRequest",
        parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "),
      );
    return parsed.data;
  };

  const router = new Router()
    .on("PUT", re(`${topicPath}/(?<topic>[^/]+)`), async (req, p) => {
      const claims = await auth.caller(req);
      const s = auth.subscriptionOf(p.sub!, claims);
      const g = auth.resourceGroupOf(s.id, p.rg!);
      const id = topicId(s.id, g.name, p.topic!);
      auth.authorizeScope(id, claims, "Microsoft.EventGrid/systemTopics/write", true);
      const body = parse(SystemTopicBody, req.body);
      if (!sameId(body.properties.topicType, "Microsoft.KeyVault.vaults"))
        throw armError(
          400,
          "InvalidTopicType",
          "This emulator serves system topics of Microsoft.KeyVault.vaults only.",
        );
      const vault = Object.values(store.state.vaults).find((v) => sameId(vaultResourceId(v), body.properties.source));
      if (!vault) throw armError(400, "InvalidSource", `The source '${body.properties.source}' does not exist.`);
      auth.authorizeScope(vaultResourceId(vault), claims, "Microsoft.KeyVault/vaults/read", false);
      const existing = grid.stored.systemTopics[id.toLowerCase()];
      const other = Object.values(grid.stored.systemTopics).find(
        (t) => sameId(t.source, body.properties.source) && !sameId(t.id, id),
      );
      if (other)
        throw armError(
          400,
          "InvalidRequest",
          `Only one system topic is allowed per source. The source already has the system topic '${other.id}'.`,
        );
      const withIdentity = body.identity?.type === "SystemAssigned";
      const topic: SystemTopic = {
        id,
        name: existing?.name ?? p.topic!,
        subscriptionId: s.id,
        resourceGroup: g.name,
        location: body.location.toLowerCase(),
        source: vaultResourceId(vault),
        topicType: "Microsoft.KeyVault.vaults",
        ...(withIdentity
          ? {
              identityClientId: existing?.identityClientId ?? randomUUID(),
              identityPrincipalId: existing?.identityPrincipalId ?? randomUUID(),
            }
          : {}),
      };
      grid.stored.systemTopics[id.toLowerCase()] = topic;
      await store.save();
      return reply(existing ? 200 : 201, topicJson(topic));
    })
    .on("GET", re(`${topicPath}/(?<topic>[^/]+)`), async (req, p) => {
      const claims = await auth.caller(req);
      auth.subscriptionOf(p.sub!, claims);
      const t = topicIn(p);
      auth.authorizeScope(t.id, claims, "Microsoft.EventGrid/systemTopics/read", false);
      return reply(200, topicJson(t));
    })
    .on("DELETE", re(`${topicPath}/(?<topic>[^/]+)`), async (req, p) => {
      const claims = await auth.caller(req);
      auth.subscriptionOf(p.sub!, claims);
      const t = grid.stored.systemTopics[topicId(p.sub!, p.rg!, p.topic!).toLowerCase()];
      if (!t) return { status: 204 };
      auth.authorizeScope(t.id, claims, "Microsoft.EventGrid/systemTopics/delete", true);
      delete grid.stored.systemTopics[t.id.toLowerCase()];
      for (const [k, s] of Object.entries(grid.stored.eventSubscriptions))
        if (sameId(s.topicId, t.id)) delete grid.stored.eventSubscriptions[k];
      await store.save();
      return { status: 200 };
    })
    .on("GET", re(topicPath), async (req, p) => {
      const claims = await auth.caller(req);
      const s = auth.subscriptionOf(p.sub!, claims);
      const value = Object.values(grid.stored.systemTopics)
        .filter((t) => t.subscriptionId === s.id && sameId(t.resourceGroup, p.rg!))
        .map(topicJson);
      auth.authorizeScope(`/subscriptions/${s.id}/resourceGroups/${p.rg}`, claims, "read", false);
      return reply(200, { value, nextLink: null });
    })
    .on("PUT", re(`${topicPath}/(?<topic>[^/]+)/eventSubscriptions/(?<name>[^/]+)`), async (req, p) => {
      const claims = await auth.caller(req);
      auth.subscriptionOf(p.sub!, claims);
      const topic = topicIn(p);
      auth.authorizeScope(topic.id, claims, "Microsoft.EventGrid/systemTopics/eventSubscriptions/write", true);
      if (!/^[a-zA-Z0-9-]{3,64}$/.test(p.name!))
        throw armError(400, "InvalidRequest", "Event subscription names are 3-64 letters, digits and hyphens.");
      const props = parse(EventSubscriptionBody, req.body).properties;
      const destination = (props.destination ?? props.deliveryWithResourceIdentity!.destination).properties;
      if (props.deliveryWithResourceIdentity && !topic.identityClientId)
        throw armError(400, "InvalidRequest", "deliveryWithResourceIdentity needs the system topic's identity.");
      const types = props.filter?.includedEventTypes ?? undefined;
      const unknownType = types?.find((t) => !keyVaultEventTypes.some((k) => sameId(k, t)));
      if (unknownType)
        throw armError(400, "InvalidRequest", `'${unknownType}' is not an event type of Microsoft.KeyVault.vaults.`);
      const id = `${topic.id}/eventSubscriptions/${p.name}`;
      const sub: EventSubscription = {
        id,
        name: p.name!,
        topicId: topic.id,
        endpointUrl: destination.endpointUrl,
        maxEventsPerBatch: destination.maxEventsPerBatch ?? 1,
        aadTenantId: destination.azureActiveDirectoryTenantId?.toLowerCase(),
        aadAppIdOrUri: destination.azureActiveDirectoryApplicationIdOrUri,
        withResourceIdentity: !!props.deliveryWithResourceIdentity,
        includedEventTypes: types,
        subjectBeginsWith: props.filter?.subjectBeginsWith || undefined,
        subjectEndsWith: props.filter?.subjectEndsWith || undefined,
        schema: props.eventDeliverySchema,
        maxDeliveryAttempts: props.retryPolicy.maxDeliveryAttempts,
        eventTimeToLiveInMinutes: props.retryPolicy.eventTimeToLiveInMinutes,
        deadLetter: props.deadLetterDestination?.properties,
        provisioningState: "AwaitingManualAction",
      };
      const existing = grid.stored.eventSubscriptions[id.toLowerCase()];
      if (existing && existing.endpointUrl === sub.endpointUrl && existing.provisioningState === "Succeeded")
        sub.provisioningState = "Succeeded";
      else await grid.validate(sub, topic, vaultOf(topic).name);
      grid.stored.eventSubscriptions[id.toLowerCase()] = sub;
      await store.save();
      return reply(existing ? 200 : 201, subscriptionJson(sub));
    })
    .on("GET", re(`${topicPath}/(?<topic>[^/]+)/eventSubscriptions/(?<name>[^/]+)`), async (req, p) => {
      const claims = await auth.caller(req);
      auth.subscriptionOf(p.sub!, claims);
      const topic = topicIn(p);
      auth.authorizeScope(topic.id, claims, "Microsoft.EventGrid/systemTopics/eventSubscriptions/read", false);
      const sub = grid.stored.eventSubscriptions[`${topic.id}/eventSubscriptions/${p.name}`.toLowerCase()];
      if (!sub) throw armError(404, "ResourceNotFound", `The event subscription '${p.name}' was not found.`);
      return reply(200, subscriptionJson(sub));
    })
    .on("DELETE", re(`${topicPath}/(?<topic>[^/]+)/eventSubscriptions/(?<name>[^/]+)`), async (req, p) => {
      const claims = await auth.caller(req);
      auth.subscriptionOf(p.sub!, claims);
      const topic = topicIn(p);
      auth.authorizeScope(topic.id, claims, "Microsoft.EventGrid/systemTopics/eventSubscriptions/delete", true);
      const key = `${topic.id}/eventSubscriptions/${p.name}`.toLowerCase();
      if (!grid.stored.eventSubscriptions[key]) return { status: 204 };
      delete grid.stored.eventSubscriptions[key];
      await store.save();
      return { status: 200 };
    })
    .on("GET", re(`${topicPath}/(?<topic>[^/]+)/eventSubscriptions`), async (req, p) => {
      const claims = await auth.caller(req);
      auth.subscriptionOf(p.sub!, claims);
      const topic = topicIn(p);
      auth.authorizeScope(topic.id, claims, "Microsoft.EventGrid/systemTopics/eventSubscriptions/read", false);
      const value = Object.values(grid.stored.eventSubscriptions)
        .filter((s) => sameId(s.topicId, topic.id))
        .map(subscriptionJson);
      return reply(200, { value, nextLink: null });
    });

  return {
    async handle(req: EmuRequest): Promise<Reply | null> {
      if (!/\/providers\/Microsoft\.EventGrid\//i.test(req.url.pathname)) return null;
      const version = req.url.searchParams.get("api-version");
      if (!version || !eventGridApiVersions.includes(version))
        return reply(400, {
          error: {
            code: "InvalidApiVersionParameter",
            message: `The api-version '${version ?? ""}' is invalid. The supported versions are '${eventGridApiVersions.join(",")}'.`,
          },
        });
      return router.dispatch(req);
    },
  };
}
