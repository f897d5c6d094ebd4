/**
 * The key-delivery baseline, in a process of its own: a bare node:http server doing the work one
 * key request must do, with everything already in memory (the HMAC key imported once, as key
 * delivery keeps its verifiers): verify the HS256 token (issuer, audience, exp, the key id claim)
 * and open the sealed content key with AES-256-GCM.
 * Reads its material as JSON from BASELINE_MATERIAL; prints `listening <port>` when ready.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { jwtVerify } from "jose";
import { open, type RecordBinding } from "@/lib/crypto/envelope";

const material = JSON.parse(process.env.BASELINE_MATERIAL!) as {
  accountKey: string;
  sealed: string;
  binding: RecordBinding;
  tokenKey: string;
  kid: string;
  kidClaim: string;
  issuer: string;
  audience: string;
};
const accountKey = Buffer.from(material.accountKey, "base64");
const sealed = Buffer.from(material.sealed, "base64");
const tokenKey = await crypto.subtle.importKey(
  "raw",
  new Uint8Array(Buffer.from(material.tokenKey, "base64")),
  { name: "HMAC", hash: "SHA-256" },
  false,
  ["verify"],
);

const server = http.createServer((req, res) => {
  jwtVerify(req.headers.authorization?.slice(7) ?? "", tokenKey, {
    algorithms: ["HS256"],
    issuer: material.issuer,
    audience: material.audience,
    requiredClaims: ["exp"],
  }).then(
    ({ payload }) => {
      if (payload[material.kidClaim] !== material.kid) return void res.writeHead(401).end();
      res
        .writeHead(200, { "content-type": "application/octet-stream", "cache-control": "no-store" })
        .end(open(accountKey, sealed, material.binding));
    },
    () => void res.writeHead(401).end(),
  );
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${(server.address() as AddressInfo).port}`));
