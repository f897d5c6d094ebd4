import "server-only";
import { keyVersionUsageFor, type KeyVersionUsage } from "@/lib/accounts/key-version-usage";
import type { Principal } from "@/lib/auth/principal";
import { accountRefOf, json } from "./http";

/**
 * This service's own action, not one of Azure Media Services: ARM-shaped (a POST list* action on
 * the account, as listKeys or listContentKeys are), at the account's api-versions.
 */
const pattern =
  /^\/subscriptions\/(?<subscriptionId>[^/]+)\/resourceGroups\/(?<resourceGroup>[^/]+)\/providers\/Microsoft\.Media\/mediaservices\/(?<name>[^/]+)\/listKeyVersionUsage\/?$/i;

export const keyVersionUsageJson = (usage: KeyVersionUsage) => ({
  keyIdentifier: usage.keyIdentifier,
  versionsFrom: usage.versionsFrom,
  versions: usage.versions.map((v) => ({ ...v, created: v.created?.toISOString() ?? null })),
});

/** `POST .../mediaservices/{name}/listKeyVersionUsage`, or null when the request is not that action. */
export async function routeKeyVersionUsage(
  method: string,
  path: string,
  principal: Principal,
): Promise<Response | null> {
  const m = pattern.exec(path);
  if (!m || method !== "POST") return null;
  const ref = accountRefOf(m.groups!.subscriptionId!, m.groups!.resourceGroup!, m.groups!.name!);
  return json(200, keyVersionUsageJson(await keyVersionUsageFor(principal, ref)));
}
