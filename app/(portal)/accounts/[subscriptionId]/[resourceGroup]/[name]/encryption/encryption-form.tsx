"use client";
import { useRouter } from "next/navigation";
import {
  createContext,
  useActionState,
  useContext,
  useRef,
  useState,
  useTransition,
  type FormEvent,
  type ReactNode,
} from "react";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { saveEncryptionAction, switchToSystemKeyAction, validateEncryptionAction } from "./actions";
import { AccountRefFields, type AccountRef } from "@/components/account-ref-fields";
import { KeyAccessPanel, type KeyAccessView } from "./key-access-panel";

interface Hint {
  ok: boolean;
  text: string;
}

/** The vault being loaded after the user picked it, until its keys are on the page. */
const VaultLoading = createContext<{ loading: string | null; load(vault: string): void }>({
  loading: null,
  load: () => {},
});

/** Wraps the vault picker and the form: while another vault's keys load, the form shows so and cannot save. */
export function VaultSwitch({ children }: { children: ReactNode }) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [vault, setVault] = useState<string | null>(null);
  const load = (name: string) => {
    setVault(name);
    startTransition(() => router.push(`?vault=${encodeURIComponent(name)}`));
  };
  return <VaultLoading.Provider value={{ loading: pending ? vault : null, load }}>{children}</VaultLoading.Provider>;
}

/** A GET form: works without JavaScript ("Show keys"), and follows the select at once with it. */
export function VaultPicker({ vaults, selected }: { vaults: { name: string; hint: Hint }[]; selected?: string }) {
  const { load } = useContext(VaultLoading);
  if (!vaults.length) return <p className="muted">No vaults are visible to you.</p>;
  return (
    <form method="get" className="stack" aria-label="Choose a key vault">
      <label htmlFor="vault-select">Key vault</label>
      <select id="vault-select" name="vault" defaultValue={selected} onChange={(e) => load(e.target.value)}>
        {vaults.map((v) => (
          <option key={v.name} value={v.name}>
            {v.name} — {v.hint.text}
          </option>
        ))}
      </select>
      <noscript>
        <button type="submit">Show keys</button>
      </noscript>
    </form>
  );
}

function Radio(props: {
  name: string;
  value: string;
  checked: boolean;
  onChange: () => void;
  disabled?: boolean;
  children: ReactNode;
}) {
  const { children, ...input } = props;
  return (
    <label style={{ display: "inline-flex", gap: "0.4rem", fontWeight: 400 }}>
      <input type="radio" {...input} /> {children}
    </label>
  );
}

function Checks({ result }: { result: ActionResult | null }) {
  if (!result?.checks) return null;
  return (
    <ul className="checks" data-testid="validation-checks" aria-label="Validation checks">
      {result.checks.map((c) => (
        <li key={c.id} data-check={c.id} data-ok={String(c.ok)}>
          <span aria-hidden="true">{c.ok === true ? "✓" : c.ok === false ? "✗" : "–"}</span> <strong>{c.label}</strong>:{" "}
          {c.message}
        </li>
      ))}
    </ul>
  );
}

export function EncryptionForm({
  account,
  canWrite,
  vaultUri,
  keys,
  identities,
  access,
  savedKey,
}: {
  account: AccountRef;
  canWrite: boolean;
  vaultUri?: string;
  /** The selected vault: whether each identity may use its keys (absent when it cannot be read). */
  access?: KeyAccessView;
  /** The account's saved key, when it is in this vault: preselected, with its pinned version if it has one. */
  savedKey?: { keyName: string; version?: string };
  keys: { name: string; hint: Hint; versions: { version: string; enabled: boolean }[] }[];
  /** The account's identities that can read a key: value "system" or a user-assigned identity's ARM id. */
  identities: { value: string; label: string }[];
}) {
  const [validation, validate, validating] = useActionState<ActionResult | null, FormData>(
    validateEncryptionAction,
    null,
  );
  const [saved, save, saving] = useActionState<ActionResult | null, FormData>(saveEncryptionAction, null);
  const [source, setSource] = useState<"pick" | "uri">(keys.length ? "pick" : "uri");
  const [keyName, setKeyName] = useState(
    keys.find((k) => k.name === savedKey?.keyName)?.name ?? keys.find((k) => k.hint.ok)?.name ?? keys[0]?.name ?? "",
  );
  const [mode, setMode] = useState<"latest" | "pinned">(savedKey?.version ? "pinned" : "latest");
  const [identity, setIdentity] = useState(identities[0]?.value ?? "system");
  const versions = keys.find((k) => k.name === keyName)?.versions ?? [];
  const [lastIntent, setLastIntent] = useState<"validate" | "save">("validate");
  const [, startTransition] = useTransition();
  // Each change of the form counts; a result shows only for the choice it was given.
  const [edits, setEdits] = useState(0);
  const [resultFor, setResultFor] = useState(-1);
  const last = resultFor !== edits ? null : lastIntent === "save" ? saved : validation;
  const pending = validating || saving;
  const { loading } = useContext(VaultLoading);
  // With JavaScript, submit without React's automatic form reset, which would put the selects
  // back to their first option while this component still shows the user's choice.
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const data = new FormData(event.currentTarget, submitter);
    const intent = submitter?.value === "save" ? "save" : "validate";
    setLastIntent(intent);
    setResultFor(edits);
    startTransition(() => (intent === "save" ? save(data) : validate(data)));
  };
  return (
    <>
      <form
        className="stack"
        data-testid="encryption-form"
        aria-busy={pending || Boolean(loading)}
        onSubmit={submit}
        onChange={() => setEdits((n) => n + 1)}
      >
        <AccountRefFields account={account} />
        <input type="hidden" name="vaultUri" value={vaultUri ?? ""} />
        {loading && (
          <p className="muted" role="status" data-testid="vault-loading">
            Loading the keys of {loading}…
          </p>
        )}
        <fieldset
          disabled={!canWrite || pending || Boolean(loading)}
          hidden={Boolean(loading)}
          style={{ border: 0, padding: 0, margin: 0, display: loading ? "none" : "grid", gap: "0.75rem" }}
        >
          <label htmlFor="identity-select">Identity that reads the key</label>
          <select id="identity-select" name="identity" value={identity} onChange={(e) => setIdentity(e.target.value)}>
            {identities.map((i) => (
              <option key={i.value} value={i.value}>
                {i.label}
              </option>
            ))}
          </select>
          <div role="radiogroup" aria-label="Key source">
            <Radio
              name="keySource"
              value="pick"
              checked={source === "pick"}
              onChange={() => setSource("pick")}
              disabled={!keys.length}
            >
              Select from the vault
            </Radio>{" "}
            <Radio name="keySource" value="uri" checked={source === "uri"} onChange={() => setSource("uri")}>
              Enter a key URI
            </Radio>
          </div>
          {source === "pick" ? (
            <>
              <label htmlFor="key-select">Key</label>
              <select id="key-select" name="keyName" value={keyName} onChange={(e) => setKeyName(e.target.value)}>
                {keys.map((k) => (
                  <option key={k.name} value={k.name}>
                    {k.name} — {k.hint.text}
                  </option>
                ))}
              </select>
              <div role="radiogroup" aria-label="Version">
                <Radio name="versionMode" value="latest" checked={mode === "latest"} onChange={() => setMode("latest")}>
                  Latest version, rotate automatically
                </Radio>{" "}
                <Radio name="versionMode" value="pinned" checked={mode === "pinned"} onChange={() => setMode("pinned")}>
                  A specific version
                </Radio>
              </div>
              {mode === "pinned" && (
                <label>
                  Version
                  <select
                    name="version"
                    aria-label="Version to pin"
                    defaultValue={keyName === savedKey?.keyName ? savedKey.version : undefined}
                  >
                    {versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        {v.version}
                        {v.enabled ? "" : " (disabled)"}
                      </option>
                    ))}
                  </select>
                </label>
              )}
            </>
          ) : (
            <label>
              Key identifier
              <input
                name="keyUri"
                placeholder="https://<vault>.vault.azure.net/keys/<name>[/<version>]"
                aria-describedby="key-error"
                style={{ fontFamily: "monospace" }}
              />
            </label>
          )}
          {last && !last.ok && (
            <span className="field-error" id="key-error" role="alert">
              {last.checks?.some((c) => c.ok === false)
                ? `${last.checks.filter((c) => c.ok === false).length === 1 ? "A check" : `${last.checks.filter((c) => c.ok === false).length} checks`} failed: see below.`
                : last.message}
            </span>
          )}
          <div style={{ display: "flex", gap: "0.5rem" }}>
            <button type="submit" name="intent" value="validate" className="secondary" formAction={validate}>
              {validating ? "Validating…" : "Validate"}
            </button>
            <button type="submit" name="intent" value="save" formAction={save}>
              {saving ? "Saving…" : "Save"}
            </button>
          </div>
        </fieldset>
        <div aria-live="polite">
          {pending && <p className="muted">Calling Key Vault…</p>}
          {last?.ok && <p className="notice ok">{last.message}</p>}
          <Checks result={last} />
        </div>
      </form>
      {access && (
        <KeyAccessPanel
          account={account}
          view={access}
          identity={identity}
          identityLabel={identities.find((i) => i.value === identity)?.label ?? identity}
          keyName={keyName}
        />
      )}
    </>
  );
}

/** Stays mounted after the switch, so its confirmation outlives the button. */
export function SystemKeyForm({
  account,
  canWrite,
  onCustomerKey,
}: {
  account: AccountRef;
  canWrite: boolean;
  onCustomerKey: boolean;
}) {
  const [result, action, pending] = useActionState<ActionResult | null, FormData>(switchToSystemKeyAction, null);
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <form action={action} style={{ marginTop: "1rem" }}>
      <AccountRefFields account={account} />
      {onCustomerKey && (
        <button
          type="button"
          className="secondary"
          disabled={!canWrite || pending}
          onClick={() => dialog.current?.showModal()}
        >
          {pending ? "Switching…" : "Switch back to the system key"}
        </button>
      )}
      <dialog ref={dialog} aria-labelledby="system-key-h">
        <h2 id="system-key-h">Switch {account.name} back to the system key?</h2>
        <p>
          The account key of {account.name} will be wrapped by the service&apos;s system key instead of your customer
          key, and your key will no longer control access to its secrets.
        </p>
        <div style={{ display: "flex", flexWrap: "wrap", gap: "0.5rem" }}>
          <button type="submit" onClick={() => dialog.current?.close()}>
            Switch {account.name} to the system key
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
      {result && <p className={`notice ${result.ok ? "ok" : "bad"}`}>{result.message}</p>}
    </form>
  );
}
