import type { Metadata } from "next";

export const metadata: Metadata = { title: "Dashboard" };

export default function DashboardPage() {
  return (
    <>
      <h1>Key status dashboard</h1>
      <p className="muted">Sign in to see the key state of the accounts you may read.</p>
    </>
  );
}
