import type { Metadata } from "next";
import Link from "next/link";
import { delegatedToken } from "@/lib/auth/delegated";
import { readSession } from "@/lib/auth/session";
import { vaultsVisibleTo, type VaultSummary } from "@/lib/azure/arm-vaults";
import { grantCommand, keyAccessOf } from "@/lib/azure/key-access";
import { keysVisibleTo, type KeyChoice } from "@/lib/keyvault/user-keys";
import { AccountIdentity, identitiesOf, type AccountIdentityView } from "../account-identity";
import { KeyStateBadge } from "@/components/key-state-badge";
import { loadAccountPage, type AccountParams } from "../load-account";
import { EncryptionForm, SystemKeyForm, VaultPicker, VaultSwitch } from "./encryption-form";
import type { KeyAccessView } from "./key-access-panel";
import { InstantDetectionSection } from "./instant-detection";
import { KeyVersionUsageSection } from "./key-version-usage";
import { logger } from "@/lib/observability/logger";

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

/** For the selected vault, whether each of the account's identities may use its keys, read from ARM as the user. */
async function keyAccessView(
  vault: VaultSummary,
  identities: AccountIdentityView[],
  keyNames: string[],
  armToken: string,
): Promise<KeyAccessView | undefined> {
  try {
    const entries = await Promise.all(
      identities.map(async (i) => {
        const access = await keyAccessOf(vault, i.principalId, armToken);
        const names = keyNames.length ? keyNames : ["<key>"];
        const commands = Object.fromEntries(names.map((k) => [k, grantCommand(vault, i.principalId, k)]));
        return [i.value, { missing: access.missing, keys: access.keys, commands, canGrant: access.canGrant }] as const;
      }),
    );
    return {
      vault: vault.name,
      model: vault.enableRbacAuthorization ? "rbac" : "accessPolicy",
      canGrant: entries.some(([, a]) => a.canGrant),
      byIdentity: Object.fromEntries(entries),
    };
  } catch (err) {
    logger("encryption").warn({ err }, "cannot read the identity's access");
    return undefined;
  }
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
  const accountIdentities = identitiesOf(account);
  const identities = accountIdentities.map((i) => ({
    value: i.value,
    label: `${i.type}${i.name ? ` ${i.name}` : ""} (${i.principalId})`,
  }));
  const armToken = await delegatedToken(session, "arm");
  const vaults = armToken ? await vaultsVisibleTo(armToken).catch(() => []) : [];
  const wanted = (await searchParams).vault;
  // The saved key, when there is one: its vault, key and version are what the form starts from.
  const saved = account.keyIdentifier ? new URL(account.keyIdentifier) : null;
  const [savedKey, savedVersion] = saved?.pathname.split("/").slice(2) ?? [];
  const savedVault = saved && vaults.find((v) => new URL(v.vaultUri).host === saved.host);
  const selected =
    vaults.find((v) => v.name === wanted) ??
    savedVault ??
    vaults.find((v) => vaultHint(v, account.location).ok) ??
    vaults[0];
  const kvToken =
    selected || account.encryptionType === "CustomerKey" ? await delegatedToken(session, "keyVault") : null;
  const keys = selected && kvToken ? await keysVisibleTo(kvToken, selected.vaultUri).catch(() => null) : null;
  const access =
    selected && armToken && accountIdentities.length
      ? await keyAccessView(
          selected,
          accountIdentities,
          (keys ?? []).map((k) => k.name),
          armToken,
        )
      : undefined;

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
          <dt>Key state</dt>
          <dd>
            <KeyStateBadge account={account} />
          </dd>
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
            <AccountIdentity account={ref} identities={accountIdentities} canWrite={canWrite} />
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
        <VaultSwitch>
          <VaultPicker
            vaults={vaults.map((v) => ({ name: v.name, hint: vaultHint(v, account.location) }))}
            selected={selected?.name}
          />
          {selected && keys === null && (
            <p className="notice bad">
              You cannot list the keys of {selected.name}: you need the list and get key permissions. You can still
              paste a key identifier.
            </p>
          )}
          <EncryptionForm
            key={selected?.name ?? ""}
            account={ref}
            canWrite={canWrite && identities.length > 0}
            identities={identities}
            vaultUri={selected?.vaultUri}
            keys={(keys ?? []).map((k) => ({ name: k.name, hint: keyHint(k), versions: k.versions }))}
            access={access}
            savedKey={
              selected && selected === savedVault && savedKey ? { keyName: savedKey, version: savedVersion } : undefined
            }
          />
        </VaultSwitch>
      </section>
    </>
  );
}
