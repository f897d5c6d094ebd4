import Link from "next/link";
import { DataTable, Section } from "@/components/data-table";
import { keyVersionUsageFor } from "@/lib/accounts/key-version-usage";
import type { AccountRef } from "@/lib/accounts/store";
import type { Principal } from "@/lib/auth/principal";
import { DomainError } from "@/lib/errors";
import { keyVersionsVisibleTo } from "@/lib/keyvault/user-keys";

const portalPath = (armId: string) => {
  const [, , subscriptionId, , resourceGroup, , , , name] = armId.split("/");
  return `/accounts/${subscriptionId}/${resourceGroup}/${name}`;
};

/**
 * The account's customer key: each version and the accounts whose account key it wraps now, so an
 * owner sees what disabling or deleting a version would lock out. Versions are listed as the
 * signed-in user (their Key Vault token); without `list`, from the account keys.
 */
export async function KeyVersionUsageSection({
  principal,
  account,
  keyVaultToken,
}: {
  principal: Principal;
  account: AccountRef;
  keyVaultToken: string | null;
}) {
  const usage = await keyVersionUsageFor(
    principal,
    account,
    keyVaultToken ? (key) => keyVersionsVisibleTo(keyVaultToken, key) : undefined,
  ).catch((err: unknown) => {
    if (err instanceof DomainError) return err;
    throw err;
  });
  return (
    <Section id="key-versions" title="Key versions in use">
      {usage instanceof DomainError ? (
        <p className="notice bad">The key&apos;s versions cannot be read now: {usage.message}</p>
      ) : (
        <>
          <p className="muted">
            Which version of <code>{usage.keyIdentifier}</code> wraps which account key now. Only accounts you can read
            are listed: others may use these versions too.
            {usage.versionsFrom === "AccountKeys" &&
              " You cannot list the key's versions, so only the latest and those in use are shown."}
          </p>
          <DataTable
            testId="key-version-usage"
            label="Key versions"
            columns={["Version", "Created", "Enabled", "Wraps the account key of"]}
          >
            {usage.versions.map((v) => (
              <tr key={v.kid} data-version={v.kid.split("/").pop()}>
                <td>
                  <code>{v.kid.split("/").pop()}</code> {v.latest && <span className="badge ok">latest</span>}
                </td>
                <td>{v.created?.toISOString().replace("T", " ").slice(0, 19) ?? "unknown"}</td>
                <td>{v.enabled === null ? "unknown" : v.enabled ? "yes" : "no"}</td>
                <td>
                  {v.accounts.length === 0 && <span className="muted">none you can see</span>}
                  {v.accounts.map((a, i) => (
                    <span key={a.id} data-account={a.name} data-pinned={String(a.pinned)}>
                      {i > 0 && ", "}
                      <Link href={portalPath(a.id)}>{a.name}</Link>{" "}
                      <span className="muted">({a.pinned ? "pinned" : "follows the latest"})</span>
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </DataTable>
        </>
      )}
    </Section>
  );
}
