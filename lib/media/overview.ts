import "server-only";
import { decide } from "@/lib/accounts/policy";
import type { AccountRecord } from "@/lib/accounts/store";
import { getConfig } from "@/lib/config";
import { db } from "@/lib/db/client";
import { StoredOptions } from "./content-key-policies";
import { StoredJobError, StoredJobInput, StoredJobOutputs } from "./jobs";
import { StoredContentKeys } from "./streaming-locators";
import { StoredTransformOutputs } from "./transforms";

/**
 * What the portal's media page shows of an account the caller may read (the page loads the
 * account through getAccountFor, which authorizes): every resource without its secrets, and
 * where players get each envelope key. Nothing while the account's key state blocks media.
 */
export async function mediaOverview(account: AccountRecord) {
  const decision = decide(account, "media.read");
  if (!decision.allowed) return { blocked: decision.message } as const;
  const where = { accountId: account.id };
  const [assets, policies, locators, transforms] = await Promise.all([
    db().asset.findMany({
      where,
      orderBy: { name: "asc" },
      select: {
        name: true,
        description: true,
        createdAt: true,
        files: { select: { name: true, size: true, sha256: true }, orderBy: { name: "asc" } },
      },
    }),
    db().contentKeyPolicy.findMany({
      where,
      orderBy: { name: "asc" },
      select: { name: true, description: true, options: true },
    }),
    db().streamingLocator.findMany({
      where,
      orderBy: { name: "asc" },
      select: {
        name: true,
        assetName: true,
        streamingPolicyName: true,
        defaultContentKeyPolicyName: true,
        endTime: true,
        contentKeys: true,
      },
    }),
    db().transform.findMany({
      where,
      orderBy: { name: "asc" },
      select: {
        name: true,
        outputs: true,
        jobs: {
          orderBy: { createdAt: "desc" },
          take: 20,
          select: {
            name: true,
            state: true,
            progress: true,
            error: true,
            input: true,
            outputs: true,
            createdAt: true,
            endTime: true,
          },
        },
      },
    }),
  ]);
  const keyDelivery = `${getConfig().keyDelivery.publicUrl}/keydelivery/${account.id}`;
  return {
    blocked: null,
    assets: assets.map((a) => ({ ...a, files: a.files.map((f) => ({ ...f, size: Number(f.size) })) })),
    policies: policies.map((p) => ({
      name: p.name,
      description: p.description,
      options: StoredOptions.parse(p.options).map(({ name = "", restriction: r }) =>
        "keys" in r
          ? {
              name,
              restriction: `JWT from ${r.issuer} for ${r.audience}`,
              keys: r.keys.map((k) => k["@odata.type"].replace("#Microsoft.Media.ContentKeyPolicy", "")),
            }
          : { name, restriction: "Open (no token)", keys: [] },
      ),
    })),
    locators: locators.map((l) => ({
      ...l,
      contentKeys: StoredContentKeys.parse(l.contentKeys).map((k) => ({
        ...k,
        deliveryUrl: k.type === "EnvelopeEncryption" ? `${keyDelivery}?kid=${k.id}` : null,
      })),
    })),
    transforms: transforms.map((t) => ({
      name: t.name,
      presets: StoredTransformOutputs.parse(t.outputs).map((o) => o.preset.presetName ?? o.preset["@odata.type"]),
      jobs: t.jobs.map((j) => ({
        ...j,
        error: StoredJobError.nullable().parse(j.error),
        input: StoredJobInput.parse(j.input),
        outputs: StoredJobOutputs.parse(j.outputs),
      })),
    })),
  } as const;
}

export const jobsRunning = (overview: Awaited<ReturnType<typeof mediaOverview>>) =>
  overview.blocked === null &&
  overview.transforms.some((t) =>
    t.jobs.some((j) => ["Scheduled", "Queued", "Processing", "Canceling"].includes(j.state)),
  );
