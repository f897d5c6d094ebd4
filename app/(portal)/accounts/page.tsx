import type { Metadata } from "next";

export const metadata: Metadata = { title: "Accounts" };

export default function AccountsPage() {
  return (
    <>
      <h1>Accounts</h1>
      <p className="muted" data-testid="accounts-empty">
        Sign in to see the media accounts of the subscriptions you hold a role on.
      </p>
    </>
  );
}
