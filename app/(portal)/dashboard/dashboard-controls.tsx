"use client";
import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { checkKeyNowAction } from "./actions";

/** Refreshes the server-rendered dashboard in place every few seconds while the tab is visible. */
export function AutoRefresh({ seconds }: { seconds: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, seconds * 1000);
    return () => clearInterval(timer);
  }, [router, seconds]);
  return (
    <p className="muted" aria-live="off">
      Refreshes every {seconds} s.
    </p>
  );
}

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
