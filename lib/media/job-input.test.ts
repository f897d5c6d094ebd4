import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { redactUrl } from "@/lib/urls";
import { downloadInput, inputUrls, InvalidJobInput, JobInputError, redactedInput } from "./job-input";

describe("JobInputHttp URLs", () => {
  it("joins each file to the base URI's path and keeps the base's query string", () => {
    const urls = inputUrls({
      baseUri: "https://acct.blob.core.windows.net/in/dir?sv=2024&sig=SECRET",
      files: ["a.mp4", "sub/b.mp4"],
    });
    assert.deepEqual(
      urls.map((u) => u.href),
      [
        "https://acct.blob.core.windows.net/in/dir/a.mp4?sv=2024&sig=SECRET",
        "https://acct.blob.core.windows.net/in/dir/sub/b.mp4?sv=2024&sig=SECRET",
      ],
    );
    assert.equal(
      inputUrls({ baseUri: "https://h/x/", files: ["c.mp4?sig=OWN"] })[0]!.href,
      "https://h/x/c.mp4?sig=OWN",
    );
    assert.equal(inputUrls({ files: ["https://h/full.mp4?sig=S"] })[0]!.href, "https://h/full.mp4?sig=S");
  });

  it("refuses what is not an http(s) URL, without echoing a query string", () => {
    assert.throws(() => inputUrls({ files: ["file:///etc/passwd"] }), /only http and https/);
    assert.throws(
      () => inputUrls({ baseUri: "ftp://h/dir?sig=SECRET", files: ["a"] }),
      (err: Error) => /only http and https/.test(err.message) && !err.message.includes("SECRET"),
    );
    assert.throws(
      () => inputUrls({ files: ["relative.mp4?sig=SECRET"] }),
      (err: Error) => /files must be full URLs/.test(err.message) && !err.message.includes("SECRET"),
    );
  });

  const PW = "s3cret-pw";
  const refusedCredentials: [string, { baseUri?: string; files: string[] }][] = [
    ["an absolute same-origin file", { baseUri: "https://h/dir/", files: ["a.mp4", `https://user:${PW}@h/dir/b.mp4`] }],
    [
      "a file with the base's credentials",
      { baseUri: `https://user:${PW}@h/dir/`, files: [`https://user:${PW}@h/dir/b.mp4`] },
    ],
    ["a scheme-relative file", { baseUri: "https://h/dir/", files: ["a.mp4", `//user:${PW}@h/dir/b.mp4`] }],
    [
      "a file spelled with backslashes",
      { baseUri: "https://h/dir/", files: ["a.mp4", `\\\\user:${PW}@h\\dir\\b.mp4`] },
    ],
    ["a file with a user and no password", { baseUri: "https://h/dir/", files: ["a.mp4", "https://user@h/dir/b.mp4"] }],
    ["a full URL without a base URI", { files: ["https://h/a.mp4", `https://user:${PW}@h/b.mp4?sig=S`] }],
  ];
  for (const [name, input] of refusedCredentials)
    it(`refuses credentials in a file, naming the field, without echoing them: ${name}`, () => {
      assert.throws(
        () => inputUrls(input),
        (err: InvalidJobInput) =>
          err instanceof InvalidJobInput &&
          err.field === `files.${input.files.length - 1}` &&
          /carries credentials/.test(err.message) &&
          !err.message.includes(PW),
      );
    });

  const shown: [string, { baseUri?: string; files: string[] }, { baseUri?: string; files: string[] }][] = [
    [
      "a base URI's query string and credentials",
      { baseUri: `https://user:${PW}@h/dir/?sig=S`, files: ["a.mp4"] },
      { baseUri: "https://h/dir/", files: ["a.mp4"] },
    ],
    [
      "a file's own query string (its SAS) and fragment",
      { baseUri: "https://h/dir/", files: ["a.mp4?sig=OWN#t=1", "b.mp4#x"] },
      { baseUri: "https://h/dir/", files: ["a.mp4", "b.mp4"] },
    ],
    [
      "an absolute file's credentials and query string",
      { baseUri: "https://h/dir/", files: [`https://user:${PW}@h/dir/a.mp4?sig=OWN`] },
      { baseUri: "https://h/dir/", files: ["https://h/dir/a.mp4"] },
    ],
    [
      "a scheme-relative file's credentials",
      { baseUri: "https://h/dir/", files: [`//user:${PW}@h/dir/a.mp4`] },
      { baseUri: "https://h/dir/", files: ["https://h/dir/a.mp4"] },
    ],
    [
      "credentials whose password holds a '?' or '#'",
      { baseUri: "https://h/dir/", files: [`//user:${PW}?x#y@h/dir/a.mp4`] },
      { baseUri: "https://h/dir/", files: ["//h/dir/a.mp4"] },
    ],
    [
      "a full URL's credentials without a base URI",
      { files: [`https://user:${PW}@h/a.mp4?sig=S`] },
      { files: ["https://h/a.mp4"] },
    ],
  ];
  for (const [name, input, expected] of shown)
    it(`shows an input without ${name}`, () => {
      const redacted = redactedInput(input);
      assert.deepEqual(redacted, expected);
      assert.ok(!JSON.stringify(redacted).includes(PW));
    });

  it("shows inputs without query strings or credentials", () => {
    assert.equal(redactUrl("https://user:pw@h/p/a.mp4?sig=S#frag"), "https://h/p/a.mp4");
    assert.deepEqual(redactedInput({ baseUri: "https://h/dir/?sig=S", files: ["a.mp4?x=1", "b.mp4"] }), {
      baseUri: "https://h/dir/",
      files: ["a.mp4", "b.mp4"],
    });
    assert.deepEqual(redactedInput({ files: ["https://h/a.mp4?sig=S"] }), { files: ["https://h/a.mp4"] });
  });
});

describe("downloading an input", () => {
  const body = randomBytes(300_000);
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, "http://x");
      if (url.pathname === "/file") {
        res.writeHead(200, { "content-length": body.length });
        res.end(body);
      } else if (url.pathname === "/redirect") {
        res.writeHead(302, { location: "/file" }).end();
      } else if (url.pathname === "/loop") {
        res.writeHead(302, { location: "/loop" }).end();
      } else if (url.pathname === "/slow") {
        res.writeHead(200);
        res.write("x");
      } else if (url.pathname === "/busy") {
        res.writeHead(503).end();
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const limits = { maxBytes: 1_000_000, timeoutMs: 5000, allowPrivateNetworks: true };
  const failsWith = (code: string, retry: string, text: RegExp) => (err: unknown) =>
    err instanceof JobInputError && err.code === code && err.retry === retry && text.test(err.message);

  it("returns the bytes with their size and SHA-256, following redirects, and reports progress", async () => {
    const seen: number[] = [];
    const got = await downloadInput(new URL(`${base}/redirect?sig=S`), limits, (received) => seen.push(received));
    assert.equal(got.size, body.length);
    assert.equal(got.sha256, createHash("sha256").update(body).digest("hex"));
    assert.ok(got.content.equals(body));
    assert.equal(seen.at(-1), body.length);
  });

  it("refuses loopback and private addresses unless allowed, by literal and by name", async () => {
    const strict = { ...limits, allowPrivateNetworks: false };
    await assert.rejects(
      downloadInput(new URL(`${base}/file`), strict, () => {}),
      failsWith("DownloadNotAccessible", "DoNotRetry", /loopback address/),
    );
    const byName = new URL(`${base}/file`);
    byName.hostname = "localhost";
    await assert.rejects(
      downloadInput(byName, strict, () => {}),
      failsWith("DownloadNotAccessible", "DoNotRetry", /loopback address/),
    );
    await assert.rejects(
      downloadInput(new URL("http://169.254.169.254/metadata"), strict, () => {}),
      failsWith("DownloadNotAccessible", "DoNotRetry", /linkLocal address/),
    );
    await assert.rejects(
      downloadInput(new URL("http://[::1]:9/x"), strict, () => {}),
      failsWith("DownloadNotAccessible", "DoNotRetry", /loopback address/),
    );
  });

  it("stops at the size limit, the time limit and a redirect loop; says which errors may pass", async () => {
    await assert.rejects(
      downloadInput(new URL(`${base}/file`), { ...limits, maxBytes: 1000 }, () => {}),
      failsWith("ContentUnsupported", "DoNotRetry", /larger than the 1000-byte limit/),
    );
    await assert.rejects(
      downloadInput(new URL(`${base}/slow`), { ...limits, timeoutMs: 300 }, () => {}),
      failsWith("DownloadTransientError", "MayRetry", /within 0.3 s/),
    );
    await assert.rejects(
      downloadInput(new URL(`${base}/loop`), limits, () => {}),
      failsWith("DownloadNotAccessible", "DoNotRetry", /more than 5 redirects/),
    );
    await assert.rejects(
      downloadInput(new URL(`${base}/missing?sig=SECRET`), limits, () => {}),
      (err: Error) =>
        failsWith("DownloadNotAccessible", "DoNotRetry", /HTTP 404/)(err) && !err.message.includes("SECRET"),
    );
    await assert.rejects(
      downloadInput(new URL(`${base}/busy`), limits, () => {}),
      failsWith("DownloadTransientError", "MayRetry", /HTTP 503/),
    );
  });
});
