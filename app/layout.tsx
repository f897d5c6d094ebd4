import type { Metadata } from "next";
import Link from "next/link";
import { NavLink } from "@/components/nav-link";
import { UserMenu } from "@/components/user-menu";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Media accounts · BYOK", template: "%s · Media accounts" },
  description: "Media-services accounts encrypted with customer-managed keys.",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <header className="site-header">
          <div className="inner">
            <Link className="brand" href="/">
              Media accounts
            </Link>
            <nav className="site-nav" aria-label="Main">
              <ul>
                <li>
                  <NavLink href="/accounts">Accounts</NavLink>
                </li>
                <li>
                  <NavLink href="/dashboard">Dashboard</NavLink>
                </li>
              </ul>
            </nav>
            <UserMenu />
          </div>
        </header>
        <main id="main">{children}</main>
      </body>
    </html>
  );
}
