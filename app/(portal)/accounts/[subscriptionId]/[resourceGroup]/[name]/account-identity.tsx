import type { AccountRef } from "@/components/account-ref-fields";
import { CopyButton } from "@/components/copy-button";
import { AddIdentityForms } from "./identity-forms";

export interface AccountIdentityView {
  /** "system", or the ARM id of a user-assigned identity (what the encryption form submits). */
  value: string;
  type: "System-assigned" | "User-assigned";
  name?: string;
  principalId: string;
}

/** The identities of an account, as its pages show them. */
export function identitiesOf(account: {
  principalId: string | null;
  userAssignedIdentities: unknown;
}): AccountIdentityView[] {
  const userAssigned = Object.entries(
    (account.userAssignedIdentities ?? {}) as Record<string, { principalId: string }>,
  );
  return [
    ...(account.principalId
      ? [{ value: "system", type: "System-assigned" as const, principalId: account.principalId }]
      : []),
    ...userAssigned.map(([id, i]) => ({
      value: id,
      type: "User-assigned" as const,
      name: id.split("/").pop(),
      principalId: i.principalId,
    })),
  ];
}

/**
 * The account's managed identities, each with its principal id to copy (what a vault's owner
 * grants), and, for a user who may change the account, a way to add one.
 */
export function AccountIdentity({
  account,
  identities,
  canWrite,
}: {
  account: AccountRef;
  identities: AccountIdentityView[];
  canWrite: boolean;
}) {
  return (
    <div data-testid="account-identity">
      {identities.length ? (
        <ul className="identities" style={{ listStyle: "none", padding: 0, margin: 0, display: "grid", gap: "0.5rem" }}>
          {identities.map((i) => (
            <li
              key={i.value}
              data-identity={i.value}
              style={{ display: "flex", flexWrap: "wrap", gap: "0.5rem", alignItems: "center" }}
            >
              <span data-testid="identity-type">
                {i.type}
                {i.name ? ` ${i.name}` : ""}
              </span>
              <span>
                principal id{" "}
                <code data-testid="principal-id" style={{ overflowWrap: "anywhere" }}>
                  {i.principalId}
                </code>
              </span>
              <CopyButton value={i.principalId} what={`principal id of the ${i.type.toLowerCase()} identity`} />
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">None: a customer key is read with the account&apos;s managed identity, so it needs one.</p>
      )}
      {canWrite && !identities.some((i) => i.value === "system") && <AddIdentityForms account={account} />}
    </div>
  );
}
