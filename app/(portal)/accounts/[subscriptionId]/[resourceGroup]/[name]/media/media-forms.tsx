"use client";
import { useActionState } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { cancelJobAction, createStreamingLocatorAction } from "./actions";
import { AccountRefFields, type AccountRef } from "@/components/account-ref-fields";

function Outcome({ result }: { result: ActionResult | null }) {
  return (
    <div aria-live="polite">
      {result?.ok && <p className="notice ok">{result.message}</p>}
      {result && !result.ok && (
        <p className="notice bad" role="alert">
          {result.message}
        </p>
      )}
    </div>
  );
}

export function CreateLocatorForm({
  account,
  assets,
  policies,
  streamingPolicies,
  canWrite,
}: {
  account: AccountRef;
  assets: string[];
  policies: string[];
  streamingPolicies: string[];
  canWrite: boolean;
}) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(createStreamingLocatorAction, null);
  return (
    <form action={action} className="stack" data-testid="create-locator-form" aria-label="New streaming locator">
      <AccountRefFields account={account} />
      {!canWrite && <p className="muted">Your role is read-only.</p>}
      <fieldset
        disabled={!canWrite || pending}
        style={{ border: 0, padding: 0, margin: 0, display: "grid", gap: "0.75rem" }}
      >
        <label>
          Locator name
          <input name="locatorName" required pattern="[A-Za-z0-9_.\-]{1,260}" />
        </label>
        <label>
          Asset
          <select name="assetName" required>
            {assets.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <label>
          Streaming policy
          <select name="streamingPolicyName" defaultValue="Predefined_ClearKey">
            {streamingPolicies.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <label>
          Content key policy (who may receive the key)
          <select name="contentKeyPolicyName">
            <option value="">None (clear streaming or download only)</option>
            {policies.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <div>
          <button type="submit">{pending ? "Creating…" : "Create streaming locator"}</button>
        </div>
      </fieldset>
      <Outcome result={result} />
    </form>
  );
}

export function CancelJobButton({
  account,
  transformName,
  jobName,
  canWrite,
}: {
  account: AccountRef;
  transformName: string;
  jobName: string;
  canWrite: boolean;
}) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(cancelJobAction, null);
  return (
    <form action={action}>
      <AccountRefFields account={account} />
      <input type="hidden" name="transformName" value={transformName} />
      <input type="hidden" name="jobName" value={jobName} />
      <button type="submit" className="secondary" disabled={!canWrite || pending} aria-label={`Cancel ${jobName}`}>
        {pending ? "Canceling…" : "Cancel"}
      </button>
      <Outcome result={result} />
    </form>
  );
}
