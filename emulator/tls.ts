/**
 * The emulator's own certificate authority and server certificate, created on first start and
 * kept in the data dir. The app trusts the CA through the Azure clients' TLS options in the
 * `local` profile only; certificate checks are never disabled.
 */
import "reflect-metadata"; // @peculiar/x509's dependency injection needs it loaded first
import { webcrypto } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface EmulatorTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const day = 24 * 60 * 60 * 1000;

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function create(): Promise<EmulatorTls> {
  const now = Date.now();
  const caKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex"),
    name: "CN=Local Azure emulator CA, O=byok-media (local only)",
    notBefore: new Date(now - day),
    notAfter: new Date(now + 3650 * day),
    keys: caKeys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex"),
    subject: "CN=localhost",
    issuer: ca.subject,
    notBefore: new Date(now - day),
    notAfter: new Date(now + 825 * day),
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "dns", value: "vault.localhost" },
        { type: "dns", value: "*.vault.localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caPem: ca.toString("pem") + "\n",
    certPem: cert.toString("pem") + "\n",
    keyPem: toPem(await webcrypto.subtle.exportKey("pkcs8", serverKeys.privateKey), "PRIVATE KEY"),
  };
}

/** Reads the CA and certificate from `dir`, creating them on first start. */
export async function loadOrCreateTls(dir: string): Promise<EmulatorTls> {
  const files = { caPem: "ca.pem", certPem: "server.pem", keyPem: "server-key.pem" } as const;
  try {
    const [caPem, certPem, keyPem] = await Promise.all(
      Object.values(files).map((f) => readFile(path.join(dir, f), "utf8")),
    );
    return { caPem: caPem!, certPem: certPem!, keyPem: keyPem! };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const tls = await create();
  await mkdir(dir, { recursive: true });
  // The CA's own private key is not kept: nothing is ever signed with it again.
  for (const [field, file] of Object.entries(files)) {
    await writeFile(path.join(dir, file), tls[field as keyof EmulatorTls], { mode: 0o600 });
  }
  return tls;
}
