import "server-only";
import { nameKey } from "@/lib/accounts/names";
import { db } from "@/lib/db/client";
import { pageArgs, type RowPage } from "@/lib/db/row-page";
import type { Prisma, StreamingEndpointState } from "@/lib/db/generated/client";
import { createdByColumns, modifiedByColumns, systemDataSelect, type Actor } from "@/lib/accounts/system-data";

/**
 * Streaming endpoints and their state machine (CONVENTIONS §13): every change of `resourceState`
 * is one of the named transitions below, each a conditional update from the one state it leaves,
 * so a transition that finds the endpoint elsewhere changes nothing and says so (false).
 *
 *   Stopped ──beginStart──▶ Starting ──finishStart──▶ Running ──beginStop──▶ Stopping ──finishStop──▶ Stopped
 */
type Tx = Prisma.TransactionClient;

export const DEFAULT_STREAMING_ENDPOINT = "default";

const endpointSelect = {
  ...systemDataSelect,
  id: true,
  accountId: true,
  name: true,
  location: true,
  description: true,
  scaleUnits: true,
  cdnEnabled: true,
  resourceState: true,
  tags: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.StreamingEndpointSelect;
export type StreamingEndpointRow = Prisma.StreamingEndpointGetPayload<{ select: typeof endpointSelect }>;

interface Named {
  accountId: string;
  name: string;
}
const byName = ({ accountId, name }: Named) => ({ accountId_nameKey: { accountId, nameKey: nameKey(name) } });

export const listStreamingEndpoints = ({
  accountId,
  page,
}: {
  accountId: string;
  /** One page of the list (lib/arm/paging.ts); without it, every endpoint by name. */
  page?: RowPage;
}): Promise<StreamingEndpointRow[]> =>
  db().streamingEndpoint.findMany({
    ...pageArgs({ accountId }, page, { name: "asc" as const }),
    select: endpointSelect,
  });

export const findStreamingEndpoint = (where: Named): Promise<StreamingEndpointRow | null> =>
  db().streamingEndpoint.findUnique({ where: byName(where), select: endpointSelect });

export type EndpointFields = {
  description: string | null;
  scaleUnits: number;
  cdnEnabled: boolean;
  tags: Record<string, string>;
};

/** A new endpoint is Stopped. */
export const insertStreamingEndpoint = (
  { location, fields, actor, ...where }: Named & { location: string; fields: EndpointFields; actor: Actor },
  tx: Tx = db(),
): Promise<StreamingEndpointRow> =>
  tx.streamingEndpoint.create({
    data: {
      ...where,
      nameKey: nameKey(where.name),
      location,
      ...fields,
      resourceState: "Stopped",
      ...createdByColumns(actor),
    },
    select: endpointSelect,
  });

/** The account's "default" endpoint, created with the account (by its creator) as Azure does. */
export const insertDefaultStreamingEndpoint = (
  account: { id: string; location: string },
  actor: Actor,
  tx: Tx,
): Promise<unknown> =>
  insertStreamingEndpoint(
    {
      accountId: account.id,
      name: DEFAULT_STREAMING_ENDPOINT,
      location: account.location,
      fields: { description: null, scaleUnits: 0, cdnEnabled: false, tags: {} },
      actor,
    },
    tx,
  );

/** Changes the settings, never the state. */
export const updateStreamingEndpoint = ({
  id,
  fields,
  actor,
}: {
  id: string;
  fields: Partial<EndpointFields>;
  actor: Actor;
}) =>
  db().streamingEndpoint.update({
    where: { id },
    data: { ...fields, ...modifiedByColumns(actor) },
    select: endpointSelect,
  });

async function transition(id: string, from: StreamingEndpointState, to: StreamingEndpointState): Promise<boolean> {
  const { count } = await db().streamingEndpoint.updateMany({
    where: { id, resourceState: from },
    data: { resourceState: to },
  });
  return count === 1;
}

export const beginStart = (id: string) => transition(id, "Stopped", "Starting");
export const finishStart = (id: string) => transition(id, "Starting", "Running");
export const beginStop = (id: string) => transition(id, "Running", "Stopping");
export const finishStop = (id: string) => transition(id, "Stopping", "Stopped");

/** Deletes a Stopped endpoint; false when it is not (any more) Stopped or not there. */
export async function deleteStoppedStreamingEndpoint(id: string): Promise<boolean> {
  const { count } = await db().streamingEndpoint.deleteMany({ where: { id, resourceState: "Stopped" } });
  return count === 1;
}

/** What the origin needs to serve one request through an endpoint: its state and its account's key state. */
export const originEndpoint = (id: string) =>
  db().streamingEndpoint.findUnique({
    where: { id },
    select: {
      resourceState: true,
      account: {
        select: {
          id: true,
          encryptionType: true,
          keyStatus: true,
          keyStatusReason: true,
          keyStatusMessage: true,
          keyIdentifier: true,
          clientId: true,
          encryptionIdentity: true,
          userAssignedIdentities: true,
        },
      },
    },
  });

/** The locator of that streamingLocatorId in the account, with its asset's files (without content). */
export async function publishedAsset({
  accountId,
  streamingLocatorId,
}: {
  accountId: string;
  streamingLocatorId: string;
}) {
  const locator = await db().streamingLocator.findUnique({
    where: { accountId_streamingLocatorId: { accountId, streamingLocatorId } },
    select: { id: true, assetName: true, streamingPolicyName: true, contentKeys: true, startTime: true, endTime: true },
  });
  if (!locator) return null;
  const asset = await db().asset.findUnique({
    where: { accountId_nameKey: { accountId, nameKey: nameKey(locator.assetName) } },
    select: { id: true, files: { select: { name: true, sha256: true } } },
  });
  return asset ? { locator, asset } : null;
}

/** One file's content. */
export const assetFileContent = async ({ assetId, name }: { assetId: string; name: string }) =>
  (await db().assetFile.findUnique({ where: { assetId_name: { assetId, name } }, select: { content: true } }))
    ?.content ?? null;
