import "server-only";
import { keyVersionUsageFor, type KeyVersionUsage } from "@/lib/accounts/key-version-usage";
import { accountRefOf, json } from "./http";
import type { ArmRequest } from "./router";

export const keyVersionUsageJson = (usage: KeyVersionUsage) => ({
  keyIdentifier: usage.keyIdentifier,
  versionsFrom: usage.versionsFrom,
  versions: usage.versions.map((v) => ({ ...v, created: v.created?.toISOString() ?? null })),
});

/**
 * `POST .../mediaservices/{name}/listKeyVersionUsage`: this service's own action, not one of Azure
 * Media Services; ARM-shaped (a POST list* action on the account, as listKeys or listContentKeys
 * are), at the account's api-versions.
 */
export async function listKeyVersionUsage({ principal, params }: ArmRequest): Promise<Response> {
  const ref = accountRefOf(params.subscriptionId!, params.resourceGroupName!, params.accountName!);
  return json(200, keyVersionUsageJson(await keyVersionUsageFor(principal, ref)));
}
