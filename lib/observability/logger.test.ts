import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "./logger";

/** A logger at `level` writing to memory; the lines it wrote. */
function memoryLogger(level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  return { log: createLogger({ level, destination }), lines };
}

describe("structured logs", () => {
  it("writes one JSON object per event with its level, component, request id and account id", () => {
    const { log, lines } = memoryLogger();
    log
      .child({ component: "monitor" })
      .child({ requestId: "r-1" })
      .info({ accountId: "a-1", result: "inaccessible" }, "check");
    assert.equal(lines.length, 1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(
      { level: entry.level, component: entry.component, requestId: entry.requestId, accountId: entry.accountId },
      { level: "info", component: "monitor", requestId: "r-1", accountId: "a-1" },
    );
    assert.equal(entry.msg, "check");
    assert.equal(entry.result, "inaccessible");
    assert.ok(!Number.isNaN(Date.parse(String(entry.time))));
  });

  it("holds LOG_LEVEL: below it nothing is written", () => {
    const { log, lines } = memoryLogger("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
      ["w", "e"],
    );
  });

  it("redacts authorization headers, tokens, keys, secrets and cookies wherever they sit, and errors keep no request", () => {
    const { log, lines } = memoryLogger();
    const secrets = {
      bearer: "Bearer eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2ln",
      token: "tok-0f9e8d7c6b5a",
      key: "a2V5LW1hdGVyaWFsLTE2Yg==",
      secret: "s3cr3t-value-xyz",
      cookie: "byok_session=c00k1e-v4lue",
    };
    log.info(
      {
        authorization: secrets.bearer,
        token: secrets.token,
        access_token: secrets.token,
        headers: { authorization: secrets.bearer, cookie: secrets.cookie, "set-cookie": secrets.cookie },
        req: { headers: { Authorization: secrets.bearer, "x-identity-header": secrets.secret } },
        credential: { clientSecret: secrets.secret, assertion: secrets.token },
        account: { contentKey: secrets.key, privateKey: secrets.key, key: secrets.key },
        keyId: "https://vault.localhost/keys/k/1",
      },
      "everything at once",
    );
    const sdkError = Object.assign(new Error("Forbidden"), {
      statusCode: 403,
      code: "Forbidden",
      request: { headers: { authorization: secrets.bearer } },
      response: { bodyAsText: secrets.token },
    });
    log.error({ err: sdkError }, "Key Vault refused");
    const text = lines.join("\n");
    for (const [name, value] of Object.entries(secrets)) assert.ok(!text.includes(value), `${name} leaked: ${text}`);
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- reading logged JSON
    assert.equal(first!.headers.authorization, "[Redacted]");
    assert.equal(first!.req.headers.Authorization, "[Redacted]");
    assert.equal(first!.credential.clientSecret, "[Redacted]");
    assert.equal(first!.keyId, "https://vault.localhost/keys/k/1", "a key id is not a secret");
    assert.deepEqual(
      { type: second!.err.type, message: second!.err.message, code: second!.err.code, status: second!.err.status },
      { type: "Error", message: "Forbidden", code: "Forbidden", status: 403 },
    );
    assert.equal(second!.err.request, undefined);
  });
});
