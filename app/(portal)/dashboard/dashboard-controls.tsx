"use client";
import { useActionState } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { checkKeyNowAction } from "./actions";
import { AccountRefFields } from "@/components/account-ref-fields";

export function CheckNowButton({
  account,
}: {
  account: { subscriptionId: string; resourceGroup: string; name: string };
}) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(checkKeyNowAction, null);
  return (
    <form action={action}>
      <AccountRefFields account={account} />
      <button
        type="submit"
        className="secondary"
        disabled={pending}
        aria-label={`Check the key of ${account.name} now`}
      >
        {pending ? "Checking…" : "Check now"}
      </button>
      {result && <span className={result.ok ? "muted" : "field-error"}> {result.message}</span>}
    </form>
  );
}
