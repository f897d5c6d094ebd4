import { CheckNowButton } from "@/components/check-now-button";
import { keyNameOf, stateLabel } from "@/lib/accounts/key-state-words";
import { keyStateOf, type AccountKeyFacts } from "@/lib/accounts/policy";

const time = (d: Date) => d.toISOString().replace("T", " ").slice(0, 19) + " UTC";

/**
 * The one badge of an account's key state, on every page that shows an account: Active,
 * Inaccessible with its reason, or Key Vault unreachable (the state is kept meanwhile), with
 * Check now for a customer key.
 */
export function KeyStateBadge({
  account,
  checkNow = true,
}: {
  account: AccountKeyFacts & {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    unreachableSince?: Date | null;
  };
  /** Whether to offer Check now (anyone who may read the account may check its key). */
  checkNow?: boolean;
}) {
  const state = keyStateOf(account);
  const unreachable = state !== "SystemKey" && Boolean(account.unreachableSince);
  const tone = unreachable ? "warn" : state === "CustomerKeyInaccessible" ? "bad" : "ok";
  return (
    <span
      data-testid="key-state"
      data-state={state}
      data-unreachable={String(unreachable)}
      style={{ display: "inline-flex", flexWrap: "wrap", gap: "0.4rem", alignItems: "baseline" }}
    >
      <span className={`badge ${tone}`}>{stateLabel(state, unreachable)}</span>
      {state !== "SystemKey" && <span className="muted">customer key {keyNameOf(account.keyIdentifier)}</span>}
      {unreachable && (
        <span className="state-reason" data-testid="state-reason">
          since {time(account.unreachableSince!)}; the account keeps its state meanwhile
        </span>
      )}
      {state === "CustomerKeyInaccessible" && (
        <span className="state-reason" data-testid="state-reason" data-reason={account.keyStatusReason ?? ""}>
          {account.keyStatusMessage ?? account.keyStatusReason}
        </span>
      )}
      {checkNow && state !== "SystemKey" && <CheckNowButton account={account} />}
    </span>
  );
}
