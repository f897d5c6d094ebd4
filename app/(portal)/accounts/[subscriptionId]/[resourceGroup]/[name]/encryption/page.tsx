import type { Metadata } from "next";
import Link from "next/link";
import { delegatedToken } from "@/lib/auth/delegated";
import { readSession } from "@/lib/auth/session";
import { vaultsVisibleTo, type VaultSummary } from "@/lib/azure/arm-vaults";
import { keysVisibleTo, type KeyChoice } from "@/lib/keyvault/user-keys";
import { loadAccountPage, type AccountParams } from "../load-account";
import { EncryptionForm, SystemKeyForm, VaultPicker } from "./encryption-form";
import { InstantDetectionSection } from "./instant-detection";
import { KeyVersionUsageSection } from "./key-version-usage";

export const metadata: Metadata = { title: "Encryption" };

/** The vault's compliance with what a customer key needs, in words, for the picker. */
function vaultHint(v: VaultSummary, location: string): { ok: boolean; text: string } {
  const problems = [
    v.location !== location && `in ${v.location}, not ${location}`,
    !v.enableSoftDelete && "no soft delete",
    !v.enablePurgeProtection && "no purge protection",
  ].filter(Boolean);
  return problems.length
    ? { ok: false, text: `✗ ${problems.join(", ")}` }
    : { ok: true, text: `✓ ${v.location}, soft delete, purge protection` };
}

function keyHint(k: KeyChoice): { ok: boolean; text: string } {
  if (k.kty !== "RSA" && k.kty !== "RSA-HSM")
    return { ok: false, text: `✗ ${k.kty}${k.curve ? ` ${k.curve}` : ""}: not RSA` };
  if (![2048, 3072, 4096].includes(k.size ?? 0)) return { ok: false, text: `✗ ${k.kty} ${k.size} bits` };
  if (!k.enabled) return { ok: false, text: `✗ ${k.kty} ${k.size}, disabled` };
  return { ok: true, text: `✓ ${k.kty} ${k.size}, enabled` };
}

export default async function EncryptionPage({
  params,
  searchParams,
}: {
  params: AccountParams;
  searchParams: Promise<{ vault?: string }>;
}) {
  const { principal, account, ref, canWrite } = await loadAccountPage(params, "/encryption");
  const session = (await readSession())!; // loadAccountPage has required a signed-in session
  const userAssigned = Object.entries(
    (account.userAssignedIdentities ?? {}) as Record<string, { principalId: string }>,
  );
  const identities = [
    ...(account.principalId ? [{ value: "system", label: `System-assigned (${account.principalId})` }] : []),
    ...userAssigned.map(([id, i]) => ({ value: id, label: `User-assigned ${id.split("/").pop()} (${i.principalId})` })),
  ];
  const armToken = await delegatedToken(session, "arm");
  const vaults = armToken ? await vaultsVisibleTo(armToken).catch(() => []) : [];
  const wanted = (await searchParams).vault;
  const selected =
    vaults.find((v) => v.name === wanted) ?? vaults.find((v) => vaultHint(v, account.location).ok) ?? vaults[0];
  const kvToken =
    selected || account.encryptionType === "CustomerKey" ? await delegatedToken(session, "keyVault") : null;
  const keys = selected && kvToken ? await keysVisibleTo(kvToken, selected.vaultUri).catch(() => null) : null;

  return (
    <>
      <p>
        <Link href={`/accounts/${account.subscriptionId}/${account.resourceGroup}/${account.name}`}>
          ← {account.name}
        </Link>
      </p>
      <h1>Encryption</h1>
      <section aria-labelledby="current-h" className="card">
        <h2 id="current-h">Current key</h2>
        <dl className="facts" data-testid="current-encryption">
          <dt>Type</dt>
          <dd data-testid="encryption-type">{account.encryptionType}</dd>
          {account.keyIdentifier && (
            <>
              <dt>Key identifier</dt>
              <dd>
                <code>{account.keyIdentifier}</code>
              </dd>
            </>
          )}
          <dt>Current key version</dt>
          <dd>
            <code data-testid="current-key-identifier">{account.accountKey?.wrappedBy ?? "created on first use"}</code>
          </dd>
          <dt>Identity</dt>
          <dd>
            {identities.length
              ? identities.map((i) => i.label).join("; ")
              : "None: give the account a managed identity to use a customer key"}
          </dd>
        </dl>
        <SystemKeyForm account={ref} canWrite={canWrite} onCustomerKey={account.encryptionType === "CustomerKey"} />
      </section>

      {account.encryptionType === "CustomerKey" && (
        <KeyVersionUsageSection principal={principal} account={ref} keyVaultToken={kvToken} />
      )}
      {account.encryptionType === "CustomerKey" && (
        <InstantDetectionSection principal={principal} account={ref} canWrite={canWrite} />
      )}

      <section aria-labelledby="pick-h">
        <h2 id="pick-h">Select a key vault and key</h2>
        {!armToken && (
          <p className="notice bad">
            Your sign-in has no access to Azure Resource Manager: sign in again to list your vaults.
          </p>
        )}
        <VaultPicker
          vaults={vaults.map((v) => ({ name: v.name, hint: vaultHint(v, account.location) }))}
          selected={selected?.name}
        />
        {selected && keys === null && (
          <p className="notice bad">
            You cannot list the keys of {selected.name}: you need the list and get key permissions. You can still paste
            a key identifier.
          </p>
        )}
        <EncryptionForm
          account={ref}
          canWrite={canWrite && identities.length > 0}
          identities={identities}
          vaultUri={selected?.vaultUri}
          keys={(keys ?? []).map((k) => ({ name: k.name, hint: keyHint(k), versions: k.versions }))}
        />
      </section>
    </>
  );
}
