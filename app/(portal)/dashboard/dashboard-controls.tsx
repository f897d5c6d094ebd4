"use client";
import { useActionState } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { checkKeyNowAction } from "./actions";

export function CheckNowButton({ account }: { account: { subscriptionId: string; resourceGroup: string; name: string } }) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(checkKeyNowAction, null);
  return (
    <form action={action}>
      <input type="hidden" name="subscriptionId" value={account.subscriptionId} />
      <input type="hidden" name="resourceGroup" value={account.resourceGroup} />
      <input type="hidden" name="name" value={account.name} />
      <button type="submit" className="secondary" disabled={pending} aria-label={`Check the key of ${account.name} now`}>
        {pending ? "Checking…" : "Check now"}
      </button>
      {result && <span className={result.ok ? "muted" : "field-error"}> {result.message}</span>}
    </form>
  );
}
