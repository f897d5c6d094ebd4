import "server-only";
import { notFound, redirect } from "next/navigation";
import { AccountRefInput } from "@/lib/accounts/schemas";
import { getAccountFor } from "@/lib/accounts/service";
import { accessOf } from "@/lib/auth/authorize";
import { currentPrincipal } from "@/lib/auth/current";
import { DomainError } from "@/lib/errors";

export type AccountParams = Promise<{ subscriptionId: string; resourceGroup: string; name: string }>;

/**
 * The account of an account page, for the signed-in user: sign-in first when there is none, and
 * not found both for an unknown account and for one the user may not read, so names do not leak.
 */
export async function loadAccountPage(params: AccountParams, subpath = "") {
  const raw = await params;
  const principal = await currentPrincipal();
  if (!principal)
    redirect(
      `/auth/sign-in?returnTo=${encodeURIComponent(`/accounts/${raw.subscriptionId}/${raw.resourceGroup}/${raw.name}${subpath}`)}`,
    );
  const ref = AccountRefInput.safeParse(raw);
  if (!ref.success) notFound();
  const account = await getAccountFor(principal, ref.data).catch((err: unknown) => {
    if (err instanceof DomainError && (err.code === "AuthorizationFailed" || err.code === "ResourceNotFound"))
      notFound();
    throw err;
  });
  const canWrite = (await accessOf(principal)).writable.includes(account.subscriptionId);
  return { principal, ref: ref.data, account, canWrite };
}
