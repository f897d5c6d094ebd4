import { Section } from "@/components/data-table";
import type { AccountRef } from "@/lib/accounts/store";
import type { Principal } from "@/lib/auth/principal";
import { DomainError } from "@/lib/errors";
import { instantDetectionFor } from "@/lib/events/instant-detection";
import { EnableInstantDetectionForm } from "./instant-detection-form";

/**
 * Instant detection: Key Vault's events (new version, near expiry, expired, access policy changed)
 * delivered to this service, so the account's key is checked the moment its vault changes
 * instead of at the next poll. Shows whether events flow (the last one received for the vault),
 * a button that creates the Event Grid subscription as the owner, and the same as az commands.
 */
export async function InstantDetectionSection({
  principal,
  account,
  canWrite,
}: {
  principal: Principal;
  account: AccountRef;
  canWrite: boolean;
}) {
  const detection = await instantDetectionFor(principal, account).catch((err: unknown) => {
    if (err instanceof DomainError) return err;
    throw err;
  });
  if (detection instanceof DomainError) return null;
  const { lastEvent } = detection;
  return (
    <Section id="instant-detection" title="Instant detection">
      <p className="muted">
        Without events, a change to the key or its access is seen at the next scheduled check. With Key Vault&apos;s
        events, a new version, an expiry or an access policy change on <code>{detection.vaultName}</code> is checked at
        once. Disabling or deleting a key and Azure RBAC changes have no event: the regular check sees them.
      </p>
      <p data-testid="instant-detection-status">
        {lastEvent ? (
          <>
            <span className="badge ok">events flowing</span> Last event received{" "}
            <time dateTime={lastEvent.at.toISOString()} data-testid="last-event-at">
              {lastEvent.at.toISOString().replace("T", " ").slice(0, 19)} UTC
            </time>{" "}
            ({lastEvent.type.replace("Microsoft.KeyVault.", "")}; {lastEvent.received} in all).
          </>
        ) : (
          <>
            <span className="badge">no events yet</span> No event from {detection.vaultName} has reached this service.
          </>
        )}
      </p>
      <EnableInstantDetectionForm account={account} canWrite={canWrite} />
      <details>
        <summary>Or with the Azure CLI</summary>
        <p className="muted">
          Event Grid delivers to <code>{detection.webhookUrl}</code> with an Entra ID token for{" "}
          <code>{detection.appIdOrUri}</code>; this service accepts no delivery without it.
        </p>
        <pre data-testid="instant-detection-commands">{detection.commands.join("\n\n")}</pre>
      </details>
    </Section>
  );
}
