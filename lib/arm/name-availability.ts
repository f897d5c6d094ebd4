import "server-only";
import { z } from "zod";
import { AccountName, Location, SubscriptionId } from "@/lib/accounts/schemas";
import { listAccountsFor } from "@/lib/accounts/service";
import { parseOrInvalid } from "@/lib/errors";
import { json, readBody } from "./http";
import type { ArmRequest } from "./router";

const CheckNameAvailabilityInput = z.object({
  name: z.string().min(1),
  type: z.string().min(1),
});

/**
 * `POST /subscriptions/{sub}/providers/Microsoft.Media/locations/{location}/checkNameAvailability`.
 * Account names here are unique in their resource group (not across Azure): a name is taken when an
 * account of the subscription already has it, which the caller may read; other subscriptions' names
 * are never consulted, so the answer says nothing about tenants the caller cannot see.
 */
export async function checkNameAvailability({ request, principal, params }: ArmRequest): Promise<Response> {
  const subscriptionId = parseOrInvalid(SubscriptionId, params.subscriptionId, "subscriptionId");
  parseOrInvalid(Location, params.locationName, "locationName");
  const input = parseOrInvalid(CheckNameAvailabilityInput, await readBody(request), "body");
  const valid = AccountName.safeParse(input.name);
  if (!valid.success)
    return json(200, { nameAvailable: false, reason: "Invalid", message: valid.error.issues[0]!.message });
  const taken = (await listAccountsFor(principal, { subscriptionId })).some((a) => a.name === valid.data);
  return json(
    200,
    taken
      ? { nameAvailable: false, reason: "AlreadyExists", message: `An account named '${valid.data}' already exists.` }
      : { nameAvailable: true, reason: "None", message: "" },
  );
}
