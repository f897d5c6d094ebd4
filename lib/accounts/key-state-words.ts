/**
 * The key state and its history in plain words, for people: the portal's pages say "Switched to
 * the customer key rsa-3072", not "SystemKey → CustomerKey (CustomerKeyConfigured)".
 */
import type { KeyState } from "./policy";

/** "rsa-3072" from a key identifier, with or without its version. */
export function keyNameOf(keyIdentifier: string | null | undefined): string {
  if (!keyIdentifier) return "";
  return new URL(keyIdentifier, "https://x").pathname.split("/").filter(Boolean)[1] ?? keyIdentifier;
}

const identifierIn = (text: string | null) => /https:\/\/\S+\/keys\/[^\s,;)]+/.exec(text ?? "")?.[0];

/** One entry of the timeline (a KeyTransition row) in words. */
export function describeTransition(t: {
  fromState: string;
  toState: string;
  reason: string;
  detail: string | null;
}): string {
  const key = keyNameOf(identifierIn(t.detail));
  if (t.reason === "Rewrap") return `Account key re-wrapped by a new version of ${key || "the key"}`;
  if (t.toState === "SystemKey") return "Switched back to the system key";
  if (t.reason === "CustomerKeyConfigured")
    return t.fromState === "SystemKey"
      ? `Switched to the customer key ${key}`.trim()
      : `Changed the customer key to ${key}`.trim();
  if (t.reason === "AccessRestored") return "The key is accessible again";
  if (t.toState === "CustomerKeyInaccessible")
    return t.fromState === "CustomerKeyInaccessible"
      ? `Still inaccessible, for another reason: ${t.detail ?? t.reason}`
      : `The key became inaccessible: ${t.detail ?? t.reason}`;
  return `${t.fromState} → ${t.toState}`;
}

/** The label of an account's state badge. */
export function stateLabel(state: KeyState, unreachable: boolean): string {
  if (unreachable) return "Key Vault unreachable";
  return { SystemKey: "System key", CustomerKey: "Active", CustomerKeyInaccessible: "Inaccessible" }[state];
}
