"use client";
import { useActionState } from "react";
import { AccountRefFields, type AccountRef } from "@/components/account-ref-fields";
import { CopyButton } from "@/components/copy-button";
import type { ActionResult } from "@/lib/actions/authenticated-action";
import { grantKeyAccessAction } from "../identity-actions";

/** One identity's access to the selected vault's keys, as the server read it from ARM as the user. */
export interface IdentityKeyAccess {
  /** Access-policy vaults: the permissions it lacks. */
  missing: string[];
  /** RBAC vaults: "all", the keys it holds a role on, or null when that cannot be read. */
  keys: "all" | string[] | null;
  /** The Azure CLI command that grants it, per key name. */
  commands: Record<string, string>;
}

export interface KeyAccessView {
  vault: string;
  model: "accessPolicy" | "rbac";
  canGrant: boolean;
  byIdentity: Record<string, IdentityKeyAccess>;
}

function mayUse(view: KeyAccessView, access: IdentityKeyAccess, keyName: string): boolean | null {
  if (view.model === "accessPolicy") return access.missing.length === 0;
  if (access.keys === null) return null;
  return access.keys === "all" || access.keys.includes(keyName);
}

/** Whether the identity chosen in the form may use the chosen key, and how to grant it when not. */
export function KeyAccessPanel({
  account,
  view,
  identity,
  identityLabel,
  keyName,
}: {
  account: AccountRef;
  view: KeyAccessView;
  identity: string;
  identityLabel: string;
  keyName: string;
}) {
  const [result, grant, granting] = useActionState<ActionResult | null, FormData>(grantKeyAccessAction, null);
  const access = view.byIdentity[identity];
  if (!access) return null;
  const ok = mayUse(view, access, keyName);
  const what = view.model === "rbac" ? `the key ${keyName || "(pick one)"}` : `the keys of ${view.vault}`;
  const command = access.commands[keyName] ?? Object.values(access.commands)[0] ?? "";
  return (
    <section aria-labelledby="access-h" className="card" data-testid="key-access" data-ok={String(ok)}>
      <h3 id="access-h">Access for the account&apos;s identity</h3>
      <p data-testid="key-access-status">
        {ok === true && `✓ ${identityLabel} may get, wrap and unwrap ${what}.`}
        {ok === false &&
          (view.model === "rbac"
            ? `✗ ${identityLabel} has no role on ${what} that lets it get, wrap and unwrap it.`
            : `✗ ${identityLabel} lacks ${access.missing.join(", ")} on ${what}.`)}
        {ok === null && `${identityLabel}: you cannot read the role assignments of ${view.vault}, so this is unknown.`}{" "}
        <span className="muted">
          ({view.model === "rbac" ? "Azure role-based access control" : "access policies"} on {view.vault})
        </span>
      </p>
      {ok !== true && view.canGrant && (
        <form action={grant}>
          <AccountRefFields account={account} />
          <input type="hidden" name="vault" value={view.vault} />
          <input type="hidden" name="keyName" value={keyName} />
          <input type="hidden" name="identity" value={identity} />
          <button type="submit" disabled={granting || (view.model === "rbac" && !keyName)}>
            {granting ? "Granting…" : "Grant access"}
          </button>{" "}
          <span className="muted">
            {view.model === "rbac"
              ? "assigns Key Vault Crypto Service Encryption User on this key, as you"
              : "adds an access policy with get, wrapKey and unwrapKey, as you"}
          </span>
        </form>
      )}
      {ok !== true && !view.canGrant && command && (
        <div data-testid="grant-command">
          <p>You may not grant access on {view.vault}. Send this Azure CLI command to someone who may:</p>
          <pre style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
            <code>{command}</code>
          </pre>
          <CopyButton value={command} what="the Azure CLI command" />
        </div>
      )}
      {result && (
        <p className={`notice ${result.ok ? "ok" : "bad"}`} role={result.ok ? "status" : "alert"}>
          {result.message}
        </p>
      )}
    </section>
  );
}
