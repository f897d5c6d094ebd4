"use client";
import { useActionState, useState, type ReactNode } from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { useKeptFormAction } from "@/components/use-kept-form-action";
import {
  cancelJobAction,
  createAssetAction,
  createContentKeyPolicyAction,
  createJobAction,
  createStreamingLocatorAction,
} from "./actions";
import { AccountRefFields, type AccountRef } from "@/components/account-ref-fields";

/** What every create form shares: the account, a fieldset off while read-only or pending, the outcome. */
function CreateForm({
  testId,
  title,
  account,
  canWrite,
  pending,
  result,
  onSubmit,
  submit,
  children,
}: {
  testId: string;
  title: string;
  account: AccountRef;
  canWrite: boolean;
  pending: boolean;
  result: ActionResult | null;
  onSubmit: (event: React.FormEvent<HTMLFormElement>) => void;
  submit: string;
  children: ReactNode;
}) {
  return (
    <form onSubmit={onSubmit} className="stack" data-testid={testId} aria-label={title}>
      <h3>{title}</h3>
      <AccountRefFields account={account} />
      <fieldset disabled={!canWrite || pending} className="plain-fieldset">
        {children}
        <div>
          <button type="submit">{pending ? "Creating…" : submit}</button>
        </div>
      </fieldset>
      <Outcome result={result} />
    </form>
  );
}

/** The result of the last submission; errors about a field are shown at that field instead. */
function Outcome({ result, fieldErrorsShown = true }: { result: ActionResult | null; fieldErrorsShown?: boolean }) {
  return (
    <div aria-live="polite">
      {result?.ok && result.message && <p className="notice ok">{result.message}</p>}
      {result && !result.ok && !(fieldErrorsShown && result.field) && (
        <p className="notice bad" role="alert">
          {result.message}
        </p>
      )}
    </div>
  );
}

function FieldError({ result, field }: { result: ActionResult | null; field: string }) {
  if (!result || result.ok || result.field !== field) return null;
  return (
    <span className="field-error" role="alert">
      {result.message}
    </span>
  );
}

/** A resource name field, with its error. */
function NameField({ label, name, result }: { label: string; name: string; result: ActionResult | null }) {
  return (
    <label>
      {label}
      <input name={name} required pattern="[A-Za-z0-9_.\-]{1,260}" />
      <FieldError result={result} field={name} />
    </label>
  );
}

export function CreateAssetForm({ account, canWrite }: { account: AccountRef; canWrite: boolean }) {
  const { result, onSubmit, pending } = useKeptFormAction(createAssetAction);
  return (
    <CreateForm
      testId="create-asset-form"
      title="New asset"
      submit="Create asset"
      {...{ account, canWrite, pending, result, onSubmit }}
    >
      <NameField label="Asset name" name="assetName" result={result} />
      <label>
        Description (optional)
        <input name="description" maxLength={1024} />
      </label>
    </CreateForm>
  );
}

export function CreateContentKeyPolicyForm({ account, canWrite }: { account: AccountRef; canWrite: boolean }) {
  const { result, onSubmit, pending } = useKeptFormAction(createContentKeyPolicyAction);
  const [restriction, setRestriction] = useState<"open" | "token">("token");
  // The generated key stays on screen until dismissed, and is then gone from the page: nothing keeps it.
  const [dismissed, setDismissed] = useState<ActionResult | null>(null);
  const secret = result?.ok && dismissed !== result ? result.oneTimeSecret : undefined;
  return (
    <CreateForm
      testId="create-policy-form"
      title="New content key policy"
      submit="Create content key policy"
      {...{ account, canWrite, pending, result, onSubmit }}
    >
      <NameField label="Policy name" name="policyName" result={result} />
      <fieldset className="plain-fieldset">
        <legend>Who may receive the content keys</legend>
        <label className="inline">
          <input
            type="radio"
            name="restriction"
            value="token"
            checked={restriction === "token"}
            onChange={() => setRestriction("token")}
          />{" "}
          Players with a token (JWT) signed by a key generated for this policy
        </label>
        <label className="inline">
          <input
            type="radio"
            name="restriction"
            value="open"
            checked={restriction === "open"}
            onChange={() => setRestriction("open")}
          />{" "}
          Anyone, without a token (open: for tests and demos)
        </label>
      </fieldset>
      {restriction === "token" && (
        <>
          <label>
            Token issuer
            <input name="issuer" required placeholder="https://sts.contoso.example" />
            <FieldError result={result} field="issuer" />
          </label>
          <label>
            Token audience
            <input name="audience" required placeholder="urn:contoso:player" />
            <FieldError result={result} field="audience" />
          </label>
          <label className="inline">
            <input type="checkbox" name="requireKeyIdClaim" defaultChecked /> Tokens must name the content key they are
            for (claim <code>urn:microsoft:azure:mediaservices:contentkeyidentifier</code>)
          </label>
        </>
      )}
      {secret && (
        <div className="notice ok" data-testid="one-time-secret">
          <label>
            {secret.label}: copy it now, it is not shown again
            <input
              readOnly
              value={secret.value}
              autoComplete="off"
              spellCheck={false}
              onFocus={(e) => e.target.select()}
            />
          </label>
          <button type="button" className="secondary" onClick={() => setDismissed(result)}>
            I have stored the key: hide it
          </button>
        </div>
      )}
    </CreateForm>
  );
}

export function CreateJobForm({
  account,
  canWrite,
  transforms,
  assets,
  presets,
}: {
  account: AccountRef;
  canWrite: boolean;
  transforms: string[];
  assets: string[];
  presets: readonly string[];
}) {
  const { result, onSubmit, pending } = useKeptFormAction(createJobAction);
  const [transform, setTransform] = useState(transforms[0] ?? "");
  return (
    <CreateForm
      testId="create-job-form"
      title="New job from a URL"
      submit="Create job"
      {...{ account, canWrite, pending, result, onSubmit }}
    >
      <NameField label="Job name" name="jobName" result={result} />
      <label>
        Input file URL (http or https; a SAS query string is stored sealed and never shown)
        <input
          name="inputUrl"
          type="url"
          required
          placeholder="https://example.blob.core.windows.net/in/movie.mp4?sv=…"
        />
        <FieldError result={result} field="inputUrl" />
      </label>
      <label>
        Transform (the recipe the job runs)
        <select name="transformName" value={transform} onChange={(e) => setTransform(e.target.value)}>
          {transforms.map((t) => (
            <option key={t}>{t}</option>
          ))}
          <option value="">A new transform…</option>
        </select>
      </label>
      {transform === "" && (
        <>
          <NameField label="New transform name" name="newTransformName" result={result} />
          <label>
            Preset
            <select name="preset" defaultValue={presets[0]}>
              {presets.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </label>
        </>
      )}
      <label>
        Output asset
        <select name="outputAssetName" defaultValue="">
          <option value="">A new asset named after the job (&lt;job&gt;-output)</option>
          {assets.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
        <FieldError result={result} field="outputAssetName" />
      </label>
    </CreateForm>
  );
}

export function CreateLocatorForm({
  account,
  assets,
  policies,
  streamingPolicies,
  encrypting,
  canWrite,
}: {
  account: AccountRef;
  assets: string[];
  policies: string[];
  streamingPolicies: string[];
  /** The streaming policies that need a content key policy. */
  encrypting: string[];
  canWrite: boolean;
}) {
  const { result, onSubmit, pending } = useKeptFormAction(createStreamingLocatorAction);
  // A valid choice from the start: encrypted with the first policy when there is one, else clear.
  const [streamingPolicy, setStreamingPolicy] = useState(
    policies.length ? "Predefined_ClearKey" : "Predefined_ClearStreamingOnly",
  );
  const [keyPolicy, setKeyPolicy] = useState(policies[0] ?? "");
  if (assets.length === 0)
    return (
      <p className="muted" data-testid="locator-needs-asset">
        A streaming locator publishes an asset: create an asset (or run a job, which creates its output asset) first.
      </p>
    );
  const needsKeyPolicy = encrypting.includes(streamingPolicy) && keyPolicy === "";
  return (
    <CreateForm
      testId="create-locator-form"
      title="New streaming locator"
      submit="Create streaming locator"
      {...{ account, canWrite, pending, result, onSubmit }}
    >
      <NameField label="Locator name" name="locatorName" result={result} />
      <label>
        Asset
        <select name="assetName" required defaultValue={assets[0]}>
          {assets.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
        <FieldError result={result} field="assetName" />
      </label>
      <label>
        Streaming policy
        <select name="streamingPolicyName" value={streamingPolicy} onChange={(e) => setStreamingPolicy(e.target.value)}>
          {streamingPolicies.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      <label>
        Content key policy (who may receive the key)
        <select name="contentKeyPolicyName" value={keyPolicy} onChange={(e) => setKeyPolicy(e.target.value)}>
          <option value="">None (clear streaming or download only)</option>
          {policies.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
        <FieldError result={result} field="contentKeyPolicyName" />
      </label>
      {/* The current choice in words, so the default (and any change) says what it publishes. */}
      <p className="muted" data-testid="locator-hint">
        {needsKeyPolicy ? (
          <>
            {streamingPolicy} encrypts the stream: choose a content key policy
            {policies.length ? "" : " (create one above first)"}, or pick Predefined_ClearStreamingOnly.
          </>
        ) : encrypting.includes(streamingPolicy) ? (
          <>
            {streamingPolicy} encrypts the stream; players get its key as the content key policy {keyPolicy} allows.
          </>
        ) : (
          <>
            {streamingPolicy} streams without encryption: anyone with the locator&apos;s URL can play the asset, and no
            content key policy is needed.
          </>
        )}
      </p>
    </CreateForm>
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
      <Outcome result={result} fieldErrorsShown={false} />
    </form>
  );
}
