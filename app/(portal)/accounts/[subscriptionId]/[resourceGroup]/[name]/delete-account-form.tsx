"use client";
import { useRouter } from "next/navigation";
import { useActionState, useEffect } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { deleteAccountAction } from "../../../actions";
import { AccountRefFields } from "@/components/account-ref-fields";

export function DeleteAccountForm({
  account,
  canWrite,
}: {
  account: { subscriptionId: string; resourceGroup: string; name: string };
  canWrite: boolean;
}) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(deleteAccountAction, null);
  const router = useRouter();
  useEffect(() => {
    if (result?.ok) router.push("/accounts");
  }, [result, router]);
  return (
    <form action={action} aria-labelledby="delete-h">
      <h2 id="delete-h">Delete this account</h2>
      <AccountRefFields account={account} />
      <p className="muted">Deleting removes the account and everything encrypted under its account key.</p>
      <button type="submit" className="danger" disabled={!canWrite || pending}>
        {pending ? "Deleting…" : `Delete ${account.name}`}
      </button>
      {!canWrite && <p className="muted">Your role is read-only.</p>}
      {result && !result.ok && (
        <p className="notice bad" role="alert">
          {result.message}
        </p>
      )}
    </form>
  );
}
