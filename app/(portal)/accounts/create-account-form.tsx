"use client";
import { useKeptFormAction } from "@/components/use-kept-form-action";
import { createAccountAction } from "./actions";

const regions = ["westus2", "eastus", "eastus2", "westeurope", "northeurope", "uksouth", "australiaeast", "japaneast"];

export function CreateAccountForm({
  subscriptions,
  canWrite,
}: {
  subscriptions: { id: string; name: string }[];
  canWrite: boolean;
}) {
  // Fields keep what was typed after a refusal; a created account is opened by the action.
  const { result, onSubmit, pending } = useKeptFormAction(createAccountAction);
  const errorFor = (field: string) =>
    result && !result.ok && result.field === field ? (
      <span className="field-error" id={`${field}-error`}>
        {result.message}
      </span>
    ) : null;
  return (
    <form onSubmit={onSubmit} className="stack" aria-labelledby="create-h" data-testid="create-account-form">
      <h2 id="create-h">Create an account</h2>
      <fieldset
        disabled={!canWrite || pending}
        style={{ border: 0, padding: 0, margin: 0, display: "grid", gap: "0.75rem" }}
      >
        <label>
          Subscription
          <select name="subscriptionId" required>
            {subscriptions.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Resource group
          <input name="resourceGroup" defaultValue="media-rg" required aria-describedby="resourceGroup-error" />
          {errorFor("resourceGroup")}
        </label>
        <label>
          Account name
          <input
            name="name"
            required
            pattern="[a-z0-9]{3,24}"
            title="3 to 24 lower-case letters and digits"
            aria-describedby="name-error"
          />
          {errorFor("name")}
        </label>
        <label>
          Region
          <select name="location" defaultValue="westus2">
            {regions.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Managed identity
          <select name="identityType" defaultValue="SystemAssigned">
            <option value="SystemAssigned">System-assigned (needed for a customer key)</option>
            <option value="None">None</option>
          </select>
        </label>
        <div>
          <button type="submit">{pending ? "Creating…" : "Create account"}</button>
        </div>
      </fieldset>
      <div aria-live="polite">
        {result?.ok && <p className="notice ok">{result.message}</p>}
        {result && !result.ok && !result.field && (
          <p className="notice bad" role="alert">
            {result.message}
          </p>
        )}
      </div>
    </form>
  );
}
