import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DomainError } from "@/lib/errors";
import { parseKeyIdentifier } from "./key-id";

const azure = { dnsSuffixes: [".vault.azure.net", ".vault.azure.cn"], allowPort: false };
const local = { dnsSuffixes: [".vault.localhost"], allowPort: true };
const code = (input: string, options = azure) => {
  try {
    parseKeyIdentifier(input, options);
  } catch (err) {
    assert.ok(err instanceof DomainError);
    return err.code;
  }
  return "accepted";
};

describe("parseKeyIdentifier", () => {
  it("accepts versioned and versionless ids and canonicalizes them", () => {
    const v = "0123456789abcdef0123456789ABCDEF";
    assert.deepEqual(parseKeyIdentifier(`https://Contoso-KV.vault.azure.net/keys/cmk/${v}`, azure), {
      vaultUrl: "https://contoso-kv.vault.azure.net",
      vaultName: "contoso-kv",
      keyName: "cmk",
      version: v.toLowerCase(),
      id: `https://contoso-kv.vault.azure.net/keys/cmk/${v.toLowerCase()}`,
    });
    assert.equal(parseKeyIdentifier("https://kv1.vault.azure.cn/keys/cmk/", azure).version, undefined);
    assert.equal(
      parseKeyIdentifier("https://contoso-byok.vault.localhost:8443/keys/rsa-3072", local).vaultUrl,
      "https://contoso-byok.vault.localhost:8443",
    );
  });

  it("refuses hosts outside the configured vault suffixes (no request to a typed-in host)", () => {
    for (const host of [
      "evil.example",
      "vault.azure.net.evil.example",
      "contoso.vault.azure.net.",
      "127.0.0.1",
      "localhost",
      "x.vault.localhost",
    ]) {
      assert.equal(code(`https://${host}/keys/cmk`), "KeyVaultHostNotAllowed", host);
    }
    assert.equal(
      code("https://kv.vault.localhost:8443/keys/k"),
      "KeyVaultHostNotAllowed",
      "local suffix not allowed in azure",
    );
  });

  it("refuses other schemes, ports in Azure, credentials, queries, fragments and other paths", () => {
    for (const bad of [
      "http://kv1.vault.azure.net/keys/cmk",
      "https://kv1.vault.azure.net:8443/keys/cmk",
      "https://user:pw@kv1.vault.azure.net/keys/cmk",
      "https://kv1.vault.azure.net/keys/cmk?api-version=7.4",
      "https://kv1.vault.azure.net/keys/cmk#x",
      "https://kv1.vault.azure.net/secrets/cmk",
      "https://kv1.vault.azure.net/keys/cmk/not-a-version",
      "https://kv1.vault.azure.net/keys/",
      "not a url",
    ]) {
      assert.equal(code(bad), "InvalidKeyIdentifier", bad);
    }
  });
});
