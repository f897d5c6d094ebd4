"use client";
import { useState } from "react";

/** Copies `value` to the clipboard; its accessible name starts with its visible label (WCAG 2.5.3). */
export function CopyButton({ value, what }: { value: string; what: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      aria-label={`${copied ? "Copied" : "Copy"} ${what}`}
      onClick={() =>
        void navigator.clipboard.writeText(value).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }
    >
      {copied ? "Copied" : "Copy"}
    </button>
  );
}
