"use client";
import { useActionState, useRef } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { deleteAccountAction } from "../../../actions";
import { AccountRefFields } from "@/components/account-ref-fields";

/** Delete, after a confirmation dialog that names the account; the action then goes to the accounts list. */
export function DeleteAccountForm({
  account,
  canWrite,
}: {
  account: { subscriptionId: string; resourceGroup: string; name: string };
  canWrite: boolean;
}) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(deleteAccountAction, null);
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <div>
      <h2 id="delete-h">Delete this account</h2>
      <p className="muted">Deleting removes the account and everything encrypted under its account key.</p>
      <button
        type="button"
        className="danger"
        disabled={!canWrite || pending}
        onClick={() => dialog.current?.showModal()}
      >
        {pending ? "Deleting…" : `Delete ${account.name}`}
      </button>
      {!canWrite && <p className="muted">Your role is read-only.</p>}
      {result && !result.ok && (
        <p className="notice bad" role="alert">
          {result.message}
        </p>
      )}
      <dialog ref={dialog} className="confirm" aria-labelledby="confirm-delete-h">
        <form action={action} onSubmit={() => dialog.current?.close()}>
          <AccountRefFields account={account} />
          <h2 id="confirm-delete-h">Delete the account {account.name}?</h2>
          <p>
            Its assets, jobs, content key policies, streaming locators and their keys are deleted with it, in{" "}
            {account.resourceGroup}. This cannot be undone.
          </p>
          <div style={{ display: "flex", gap: "0.5rem", flexWrap: "wrap" }}>
            <button type="submit" className="danger">
              Yes, delete {account.name}
            </button>
            <button type="button" className="secondary" autoFocus onClick={() => dialog.current?.close()}>
              Keep it
            </button>
          </div>
        </form>
      </dialog>
    </div>
  );
}
