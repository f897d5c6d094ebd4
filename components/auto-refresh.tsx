"use client";
import { useRouter } from "next/navigation";
import { useEffect } from "react";

/** Refreshes a server-rendered page in place every few seconds while the tab is visible. */
export function AutoRefresh({ seconds }: { seconds: number }) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === "visible") router.refresh();
    }, seconds * 1000);
    return () => clearInterval(timer);
  }, [router, seconds]);
  return (
    <p className="muted" aria-live="off">
      Refreshes every {seconds} s.
    </p>
  );
}
