/**
 * Parses a Key Vault key identifier. Only hosts under the configured vault DNS suffixes are
 * accepted (`.vault.azure.net` and the sovereign clouds in Azure, `.vault.localhost` locally), so
 * the service never sends a request, or a managed identity token, to a host a user typed in.
 */
import { DomainError } from "@/lib/errors";

export interface KeyIdentifier {
  /** https://{vault}{suffix}[:port] */
  vaultUrl: string;
  vaultName: string;
  keyName: string;
  /** Absent: follow the latest version. */
  version?: string;
  /** The canonical form: vaultUrl/keys/name[/version], no trailing slash. */
  id: string;
}

export function parseKeyIdentifier(
  input: string,
  options: { dnsSuffixes: string[]; allowPort: boolean },
): KeyIdentifier {
  const bad = (why: string) =>
    new DomainError(
      "InvalidKeyIdentifier",
      `The key identifier is not valid: ${why} Expected https://<vault>${options.dnsSuffixes[0]}/keys/<name>[/<version>].`,
      "keyIdentifier",
    );
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw bad("it is not a URL.");
  }
  if (url.protocol !== "https:") throw bad("it must use https.");
  if (url.username || url.password || url.search || url.hash)
    throw bad("it must not carry credentials, a query or a fragment.");
  const host = url.hostname.toLowerCase();
  const suffix = options.dnsSuffixes.find((s) => host.endsWith(s.toLowerCase()));
  const vaultName = suffix ? host.slice(0, -suffix.length) : "";
  if (!suffix || !/^[a-z][a-z0-9-]{1,22}[a-z0-9]$/.test(vaultName)) {
    throw new DomainError(
      "KeyVaultHostNotAllowed",
      `'${host}' is not a Key Vault this service may call: the vault must be under ${options.dnsSuffixes.join(", ")}.`,
      "keyIdentifier",
    );
  }
  if (url.port && !options.allowPort) throw bad("a Key Vault URL has no port.");
  const match = /^\/keys\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-fA-F]{32}))?\/?$/.exec(url.pathname);
  if (!match) throw bad("the path must be /keys/<name> or /keys/<name>/<32-character version>.");
  const vaultUrl = `https://${host}${url.port ? `:${url.port}` : ""}`;
  const [, keyName, version] = match as unknown as [string, string, string | undefined];
  const lower = version?.toLowerCase();
  return {
    vaultUrl,
    vaultName,
    keyName: keyName,
    version: lower,
    id: `${vaultUrl}/keys/${keyName}${lower ? `/${lower}` : ""}`,
  };
}
