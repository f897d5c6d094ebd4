import "server-only";
import type { RowPage } from "@/lib/db/row-page";
import { putOnce } from "@/lib/accounts/names";
import { modifiedBy } from "@/lib/accounts/system-data";
import { audit } from "@/lib/audit";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { resolveMediaAccount, resourceNotFound, scopedAccountFor } from "./access";
import type { MediaList, MediaRecord, MediaScope, PutResult } from "./resource";
import * as store from "./streaming-endpoint-store";

/** A streaming endpoint's settings and tags, as a PUT gives them (a PATCH gives some of them). */
export interface StreamingEndpointInput {
  /** The account's region, if given (an endpoint is in its account's). */
  location?: string;
  tags?: Record<string, string>;
  description?: string;
  scaleUnits?: number;
  /** This service has no CDN: false only. */
  cdnEnabled?: boolean;
}

/**
 * Where the endpoint serves: the portal's own origin under /streaming/{endpoint id}. Azure's is a
 * host of its own; a player builds `{scheme}://{hostName}{path}` from listPaths either way, so the
 * prefix travels in hostName, and the origin needs no listener or DNS name of its own.
 */
export function streamingHostName(endpointId: string): string {
  return `${new URL(getConfig().publicUrl).host}/streaming/${endpointId}`;
}

/** The base URL of an endpoint's streams, with the portal's scheme. */
export const streamingBaseUrl = (endpointId: string) =>
  `${new URL(getConfig().publicUrl).protocol}//${streamingHostName(endpointId)}`;

const requestOf = (verb: "read" | "write" | "delete" | "start" | "stop") =>
  verb === "read"
    ? ({ action: "read", armOperation: "streamingEndpoints/read", policy: "media.read" } as const)
    : ({
        action: "write",
        armOperation: `streamingEndpoints/${verb}${verb === "start" || verb === "stop" ? "/action" : ""}`,
        policy: "media.write",
      } as const);
const accountFor = (scope: MediaScope, name: string, verb: Parameters<typeof requestOf>[0]) =>
  scopedAccountFor(scope, `streamingEndpoints/${name}`, requestOf(verb));

/** The scope with its account authorized and read for writing the endpoint: a PUT or PATCH reuses it. */
export const resolveStreamingEndpointWrite = (scope: MediaScope, name: string) =>
  resolveMediaAccount(scope, `streamingEndpoints/${name}`, requestOf("write"));

async function findEndpoint(accountId: string, name: string) {
  const endpoint = await store.findStreamingEndpoint({ accountId, name });
  if (!endpoint) throw resourceNotFound("streaming endpoint", name);
  return endpoint;
}

export async function listStreamingEndpointsFor(
  scope: MediaScope,
  page?: RowPage,
): Promise<MediaList<store.StreamingEndpointRow>> {
  const account = await accountFor(scope, "", "read");
  return { account, rows: await store.listStreamingEndpoints({ accountId: account.id, page }) };
}

export async function getStreamingEndpointFor(
  scope: MediaScope,
  name: string,
): Promise<MediaRecord<store.StreamingEndpointRow>> {
  const account = await accountFor(scope, name, "read");
  return { account, row: await findEndpoint(account.id, name) };
}

/** A PUT's or PATCH's input, with its location checked against the account's region. */
function checkLocation(account: { location: string }, parsed: StreamingEndpointInput) {
  const region = (l: string) => l.replace(/\s/g, "").toLowerCase();
  if (parsed.location && region(parsed.location) !== region(account.location))
    throw new DomainError(
      "InvalidRequestContent",
      `A streaming endpoint is in its account's region, ${account.location}.`,
      "location",
    );
  return parsed;
}

const auditWrite = (scope: MediaScope, account: { id: string; subscriptionId: string }, name: string) =>
  audit({
    actor: scope.principal.objectId,
    action: "streamingEndpoint.write",
    outcome: "success",
    subscriptionId: account.subscriptionId,
    accountId: account.id,
    detail: { name },
  });

/** Creates a Stopped endpoint, or replaces an existing one's settings and tags (never its state). */
export async function putStreamingEndpointFor(
  scope: MediaScope,
  name: string,
  input: StreamingEndpointInput,
): Promise<PutResult<store.StreamingEndpointRow>> {
  const account = await accountFor(scope, name, "write");
  const { tags, ...p } = checkLocation(account, input);
  const fields = {
    description: p.description ?? null,
    scaleUnits: p.scaleUnits ?? 0,
    cdnEnabled: p.cdnEnabled ?? false,
    tags: tags ?? {},
  };
  const actor = modifiedBy(scope.principal);
  return putOnce(async () => {
    const existing = await store.findStreamingEndpoint({ accountId: account.id, name });
    const row = existing
      ? await store.updateStreamingEndpoint({ id: existing.id, fields, actor })
      : await store.insertStreamingEndpoint({
          accountId: account.id,
          name,
          location: account.location,
          fields,
          actor,
        });
    await auditWrite(scope, account, row.name);
    return { account, row, created: !existing };
  });
}

/** ARM's PATCH: what the body gives replaces the endpoint's own (tags as a whole); what it leaves out is kept. */
export async function patchStreamingEndpointFor(
  scope: MediaScope,
  name: string,
  input: StreamingEndpointInput,
): Promise<MediaRecord<store.StreamingEndpointRow>> {
  const account = await accountFor(scope, name, "write");
  const { tags, ...p } = checkLocation(account, input);
  const endpoint = await findEndpoint(account.id, name);
  const row = await store.updateStreamingEndpoint({
    id: endpoint.id,
    fields: {
      ...(p.description !== undefined ? { description: p.description } : {}),
      ...(p.scaleUnits !== undefined ? { scaleUnits: p.scaleUnits } : {}),
      ...(p.cdnEnabled !== undefined ? { cdnEnabled: p.cdnEnabled } : {}),
      ...(tags ? { tags } : {}),
    },
    actor: modifiedBy(scope.principal),
  });
  await auditWrite(scope, account, row.name);
  return { account, row };
}

const conflict = (name: string, state: string, wanted: string) =>
  new DomainError("Conflict", `The streaming endpoint '${name}' is ${state}: it cannot ${wanted} now.`);

/** The two-step transitions of start and stop, and the state that means there is nothing to do. */
const stateChanges = {
  start: { done: "Running", begin: store.beginStart, finish: store.finishStart },
  stop: { done: "Stopped", begin: store.beginStop, finish: store.finishStop },
} as const;

/**
 * Start (Stopped → Starting → Running) or stop (Running → Stopping → Stopped; from then on the
 * endpoint serves nothing). Nothing is provisioned here, so the change completes in the request
 * (ARM's 200 for a long-running operation that finished); already there, nothing to do.
 */
async function changeState(scope: MediaScope, name: string, verb: keyof typeof stateChanges): Promise<null> {
  const account = await accountFor(scope, name, verb);
  const endpoint = await findEndpoint(account.id, name);
  const change = stateChanges[verb];
  if (endpoint.resourceState === change.done) return null;
  if (!(await change.begin(endpoint.id))) throw conflict(name, endpoint.resourceState, verb);
  await change.finish(endpoint.id);
  await audit({
    actor: scope.principal.objectId,
    action: `streamingEndpoint.${verb}`,
    outcome: "success",
    subscriptionId: account.subscriptionId,
    accountId: account.id,
    detail: { name: endpoint.name },
  });
  return null;
}

export const startStreamingEndpointFor = (scope: MediaScope, name: string) => changeState(scope, name, "start");
export const stopStreamingEndpointFor = (scope: MediaScope, name: string) => changeState(scope, name, "stop");

/** Deletes the endpoint, stopping it first when it runs; false when there was none. */
export async function deleteStreamingEndpointFor(scope: MediaScope, name: string): Promise<boolean> {
  const account = await accountFor(scope, name, "delete");
  const endpoint = await store.findStreamingEndpoint({ accountId: account.id, name });
  if (!endpoint) return false;
  if (endpoint.resourceState === "Running" && (await store.beginStop(endpoint.id))) await store.finishStop(endpoint.id);
  if (!(await store.deleteStoppedStreamingEndpoint(endpoint.id)))
    throw conflict(name, (await findEndpoint(account.id, name)).resourceState, "be deleted");
  await audit({
    actor: scope.principal.objectId,
    action: "streamingEndpoint.delete",
    outcome: "success",
    subscriptionId: account.subscriptionId,
    accountId: account.id,
    detail: { name: endpoint.name },
  });
  return true;
}
