"use client";
import { useActionState } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { checkKeyNowAction } from "@/app/(portal)/dashboard/actions";
import { AccountRefFields, type AccountRef } from "@/components/account-ref-fields";

/** Checks the account's customer key at once. Its accessible name is its visible label (WCAG 2.5.3). */
export function CheckNowButton({ account }: { account: AccountRef }) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(checkKeyNowAction, null);
  return (
    <form action={action} style={{ display: "inline" }}>
      <AccountRefFields account={account} />
      <button type="submit" className="secondary" disabled={pending}>
        {pending ? "Checking…" : "Check now"}
      </button>
      {result && (
        <span className={result.ok ? "muted" : "field-error"} role="status" data-testid="check-result">
          {" "}
          {result.message}
        </span>
      )}
    </form>
  );
}
