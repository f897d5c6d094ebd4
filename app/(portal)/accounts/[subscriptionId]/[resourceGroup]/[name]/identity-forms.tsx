"use client";
import { useActionState } from "react";
import { AccountRefFields, type AccountRef } from "@/components/account-ref-fields";
import { useKeptFormAction } from "@/components/use-kept-form-action";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { addSystemIdentityAction, attachUserIdentityAction } from "./identity-actions";

function Outcome({ result }: { result: ActionResult | null }) {
  if (!result) return null;
  return (
    <p className={`notice ${result.ok ? "ok" : "bad"}`} role={result.ok ? "status" : "alert"}>
      {result.message}
    </p>
  );
}

/** For an account without the identity a customer key needs: issue a system-assigned one, or attach a user-assigned one. */
export function AddIdentityForms({ account }: { account: AccountRef }) {
  const [added, add, adding] = useActionState<ActionResult | null, FormData>(addSystemIdentityAction, null);
  // The typed ARM id survives a refusal (the message quotes it).
  const { result: attached, onSubmit: attach, pending: attaching } = useKeptFormAction(attachUserIdentityAction);
  return (
    <div className="stack" data-testid="add-identity">
      <form action={add}>
        <AccountRefFields account={account} />
        <button type="submit" disabled={adding}>
          {adding ? "Adding…" : "Add a system-assigned identity"}
        </button>
        <Outcome result={added} />
      </form>
      <form onSubmit={attach} className="stack">
        <AccountRefFields account={account} />
        <label htmlFor="identity-id">User-assigned identity (ARM id; you need Managed Identity Operator on it)</label>
        <input
          id="identity-id"
          name="identityId"
          placeholder="/subscriptions/…/resourceGroups/…/providers/Microsoft.ManagedIdentity/userAssignedIdentities/…"
          style={{ fontFamily: "monospace", width: "100%" }}
        />
        <div>
          <button type="submit" className="secondary" disabled={attaching}>
            {attaching ? "Attaching…" : "Attach identity"}
          </button>
        </div>
        <Outcome result={attached} />
      </form>
    </div>
  );
}
