"use client";
import { useActionState } from "react";
import { AccountRefFields, type AccountRef } from "@/components/account-ref-fields";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { enableInstantDetectionAction } from "./instant-detection-actions";

export function EnableInstantDetectionForm({ account, canWrite }: { account: AccountRef; canWrite: boolean }) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(enableInstantDetectionAction, null);
  return (
    <form action={action}>
      <AccountRefFields account={account} />
      <button type="submit" disabled={!canWrite || pending}>
        {pending ? "Creating the event subscription…" : "Turn on instant detection"}
      </button>
      {result && (
        <p className={`notice ${result.ok ? "ok" : "bad"}`} role="status" data-testid="instant-detection-result">
          {result.message}
        </p>
      )}
    </form>
  );
}
