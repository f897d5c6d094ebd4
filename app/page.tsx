import Link from "next/link";

export default function HomePage() {
  return (
    <>
      <h1>Media accounts with customer-managed keys</h1>
      <p className="muted">
        Every account&apos;s secrets are encrypted by its account key, and the account key is wrapped by a key you
        choose: the service&apos;s system key, or your own RSA key in your Azure Key Vault.
      </p>
      <div className="grid">
        <section className="card" aria-labelledby="accounts-h">
          <h2 id="accounts-h">Accounts</h2>
          <p>Create media accounts and choose the key that protects them.</p>
          <Link href="/accounts">Go to accounts</Link>
        </section>
        <section className="card" aria-labelledby="dashboard-h">
          <h2 id="dashboard-h">Key status dashboard</h2>
          <p>See which accounts use which key, whether the key is reachable, and what is blocked.</p>
          <Link href="/dashboard">Open the dashboard</Link>
        </section>
      </div>
    </>
  );
}
