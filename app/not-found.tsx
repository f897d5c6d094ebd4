import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Not found" };

/**
 * What a link to a deleted account (or to one the user may not read: names do not leak) lands on,
 * with a 404 status, inside the portal's header and navigation instead of Next's unstyled page.
 */
export default function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p className="notice" data-testid="not-found">
        There is nothing here that you can see. The account may have been deleted, or you may have no role on its
        subscription.
      </p>
      <p>
        <Link href="/accounts">Back to your accounts</Link>
      </p>
    </>
  );
}
