import type { ReactNode } from "react";
import { ReadOnlyNotice } from "@/components/read-only-notice";

/** Every page of one account: above it, why its forms are off for a user with read roles only. */
export default async function AccountLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ subscriptionId: string }>;
}) {
  return (
    <>
      <ReadOnlyNotice subscriptionIds={[(await params).subscriptionId]} />
      {children}
    </>
  );
}
