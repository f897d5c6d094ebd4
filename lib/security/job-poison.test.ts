/**
 * Attack: a poison job. A JobInputHttp file name such as `x%E0.mp4` passed creation and then threw
 * in the worker after each download; the job was released and claimed again every few seconds,
 * downloading again each time, forever. Now such inputs are refused at creation (400, the field
 * named), and every job has a bounded number of attempts with backoff, a claim counting as one
 * even when its worker is killed mid-download; after the last it ends in Error with one of
 * Azure's JobErrorCode values. Through lib/ against the emulator and a real database, with real
 * worker processes killed with SIGKILL.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { demoUsers } from "@/lib/demo/directory";
import { jobBody } from "@/test/support/media-fixtures";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { createAccountFor } from "@/lib/accounts/service";
import { putAssetFor } from "@/lib/media/assets";
import { jobs } from "@/test/support/media-api";
import * as runner from "@/lib/media/job-runner";
import * as secrets from "@/lib/media/secrets";
import { transforms } from "@/test/support/media-api";
import * as hierarchy from "@/lib/keys/hierarchy";

process.env.JOB_POLL_INTERVAL_SECONDS = "0.2";
const owner = principalOf(demoUsers.owner);
const ref = contosoAccount("poison");
const jobScope = { principal: owner, ref, parent: "copy" };
/** Azure Media Services' JobErrorCode values. */
const JOB_ERROR_CODES = [
  "ServiceError",
  "ServiceTransientError",
  "DownloadNotAccessible",
  "DownloadTransientError",
  "UploadNotAccessible",
  "UploadTransientError",
  "ConfigurationUnsupported",
  "ContentMalformed",
  "ContentUnsupported",
  "IdentityUnsupported",
];

const lib = { jobs, runner, secrets, hierarchy };
let env: AppEnvironment;
let server: http.Server;
let base: string;
let accountId: string;
/** Requests the input server saw, by path. */
const downloads = new Map<string, number>();

before(async () => {
  env = await startAppEnvironment();
  server = http.createServer((req, res) => {
    const path = new URL(req.url!, "http://x").pathname;
    downloads.set(path, (downloads.get(path) ?? 0) + 1);
    // A download that never ends: a worker is killed in the middle of it.
    if (path.endsWith("/endless.mp4")) res.writeHead(200, { "content-length": 1_000_000 }).write("x");
    else res.writeHead(200, { "content-length": 5 }).end("bytes");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/container`;
  accountId = (await createAccountFor(owner, { ...ref, location: "westus2", identityType: "None" })).id;
  await putAssetFor({ principal: owner, ref }, "out", {});
  await transforms.putTransformFor({ principal: owner, ref }, "copy", {
    properties: {
      outputs: [
        {
          preset: {
            "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset",
            presetName: "CopyAllBitrateNonInterleaved",
          },
        },
      ],
    },
  });
});
after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
  await env?.dispose();
});

const jobRow = (name: string) => env.database.db.job.findFirstOrThrow({ where: { accountId, name } });
/** Lets the time a job waits (its backoff, or its dead worker's lease) pass at once. */
const letWaitPass = (name: string) =>
  env.database.db.job.updateMany({ where: { accountId, name }, data: { leaseUntil: new Date(Date.now() - 1000) } });

/** Replaces a job's sealed input, as a job stored before creation checked inputs this closely would hold it. */
async function storeSealedInput(name: string, plaintext: string) {
  const job = await jobRow(name);
  const account = await env.database.db.mediaAccount.findUniqueOrThrow({ where: { id: accountId } });
  const [sealed] = lib.secrets.sealSecrets(accountId, await lib.hierarchy.accountKey(account), [
    { kind: "jobInputUrl", ownerId: job.id, name: job.id, value: Buffer.from(plaintext) },
  ]);
  await env.database.db.accountSecret.update({
    where: { accountId_kind_name: { accountId, kind: "jobInputUrl", name: job.id } },
    data: { sealed: sealed!.sealed },
  });
}

const refusedAt = (field: string) => (err: Error & { code?: string; field?: string; status?: number }) =>
  err.code === "InvalidRequestContent" && err.status === 400 && err.field === field;

async function until(what: string, condition: () => Promise<boolean>, ms = 30_000) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100)))
    if (await condition()) return;
  assert.fail(`timed out waiting for ${what}`);
}

/** A worker process (`npm run worker`) with this test's configuration. */
function startWorkerProcess() {
  const childEnv = { ...process.env };
  delete childEnv.NODE_TEST_CONTEXT;
  return spawn(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/worker.ts"], {
    env: childEnv,
    stdio: "ignore",
  });
}

describe("attack: a poison job", () => {
  it("refuses, at creation, a file name that cannot be decoded (x%E0.mp4), naming the field", async () => {
    await assert.rejects(
      lib.jobs.putJobFor(
        jobScope,
        "undecodable",
        jobBody("out", { baseUri: `${base}?sig=S`, files: ["ok.mp4", "x%E0.mp4"] }),
      ),
      refusedAt("body.properties.input.files.1"),
    );
    await assert.rejects(
      lib.jobs.putJobFor(jobScope, "undecodable", jobBody("out", { files: [`${base}/x%E0.mp4?sig=S`] })),
      refusedAt("body.properties.input.files.0"),
    );
    assert.equal(
      await env.database.db.job.count({ where: { accountId, name: "undecodable" } }),
      0,
      "no job was stored",
    );
  });

  it("refuses, at creation, file names that escape the base URI, naming the field; names inside it still pass", async () => {
    const escapes = [
      "../other/x.mp4",
      "%2e%2e/other.mp4",
      "sub/..%2F..%2Fsecret.mp4",
      "..%5Csecret.mp4",
      "/root.mp4",
      "https://elsewhere.example/x.mp4",
      "//elsewhere.example/x.mp4",
      "x%00.mp4",
    ];
    for (const file of escapes)
      await assert.rejects(
        lib.jobs.putJobFor(jobScope, "escape", jobBody("out", { baseUri: `${base}/dir?sig=S`, files: [file] })),
        refusedAt("body.properties.input.files.0"),
        file,
      );
    await assert.rejects(
      lib.jobs.putJobFor(
        jobScope,
        "escape",
        jobBody("out", { baseUri: "ftp://elsewhere.example/dir", files: ["a.mp4"] }),
      ),
      refusedAt("body.properties.input.baseUri"),
    );
    const inside = await lib.jobs.putJobFor(
      jobScope,
      "inside",
      jobBody("out", {
        baseUri: `${base}/dir?sig=S`,
        files: ["sub/b.mp4", "a b.mp4", "caf%C3%A9.mp4", "sub/../c.mp4"],
      }),
    );
    assert.equal(inside.created, true);
    await lib.jobs.cancelJobFor(jobScope, "inside");
  });

  it("ends a poison job stored before that check (x%E0.mp4) in Error at once, without downloading, instead of retrying it forever", async () => {
    await lib.jobs.putJobFor(
      jobScope,
      "stored-poison",
      jobBody("out", { baseUri: `${base}?sig=S`, files: ["fine.mp4"] }),
    );
    await storeSealedInput("stored-poison", JSON.stringify({ baseUri: `${base}?sig=S`, files: ["x%E0.mp4"] }));
    const runner = lib.runner.startJobRunner({ loop: false });
    try {
      for (let round = 0; round < 5 && (await jobRow("stored-poison")).state !== "Error"; round++) {
        await runner.runOnce();
        await letWaitPass("stored-poison");
      }
    } finally {
      await runner.stop();
    }
    const job = await jobRow("stored-poison");
    const error = job.error as { code: string; message: string } | null;
    assert.equal(job.state, "Error");
    assert.ok(JOB_ERROR_CODES.includes(error!.code), error!.code);
    assert.match(error!.message, /x%E0\.mp4.*not percent-encoded UTF-8/);
    assert.ok(!error!.message.includes("sig=S"), "no query string in the error");
    assert.equal(downloads.get("/container/x%E0.mp4") ?? 0, 0, "never downloaded");
  });

  it("tries a job that fails unexpectedly 3 times, waiting longer each time, then ends it in Error (ServiceError)", async () => {
    await lib.jobs.putJobFor(jobScope, "throws", jobBody("out", { baseUri: `${base}?sig=S`, files: ["fine.mp4"] }));
    await storeSealedInput("throws", "not the JSON of an input");
    const runner = lib.runner.startJobRunner({ loop: false });
    const waits: number[] = [];
    try {
      for (let attempt = 1; attempt <= 2; attempt++) {
        assert.equal((await runner.runOnce())?.state, "Deferred", `attempt ${attempt}`);
        assert.equal(await runner.runOnce(), null, `attempt ${attempt}: not claimed again before its backoff ends`);
        waits.push((await jobRow("throws")).leaseUntil!.getTime() - Date.now());
        await letWaitPass("throws");
      }
      const last = await runner.runOnce();
      assert.equal(last?.state, "Error", JSON.stringify(last));
    } finally {
      await runner.stop();
    }
    assert.ok(waits[0]! > 5000 && waits[1]! > 2 * waits[0]!, `the backoff grows: ${waits.join(", ")} ms`);
    const job = await jobRow("throws");
    assert.equal(job.state, "Error");
    assert.equal((job.error as { code: string }).code, "ServiceError");
    assert.match((job.error as { message: string }).message, /3 attempts/);
    const again = lib.runner.startJobRunner({ loop: false });
    assert.equal(await again.runOnce(), null, "an ended job is not claimed again");
    await again.stop();
  });

  it("counts a worker killed mid-download as an attempt: after 3 killed workers the next one ends the job in Error without downloading again", async () => {
    await lib.jobs.putJobFor(jobScope, "crashes", jobBody("out", { baseUri: `${base}?sig=S`, files: ["endless.mp4"] }));
    const seen = () => downloads.get("/container/endless.mp4") ?? 0;
    for (let killed = 1; killed <= 3; killed++) {
      const worker = startWorkerProcess();
      try {
        await until(`worker ${killed} to be downloading`, async () => seen() === killed);
      } finally {
        worker.kill("SIGKILL");
      }
      await new Promise((r) => worker.once("exit", r));
      assert.equal((await jobRow("crashes")).state, "Processing", "the killed worker could not hand the job back");
      await letWaitPass("crashes");
    }
    const worker = startWorkerProcess();
    try {
      await until(
        "the job to end, or a fourth download",
        async () => (await jobRow("crashes")).state === "Error" || seen() > 3,
      );
    } finally {
      worker.kill("SIGKILL");
    }
    const job = await jobRow("crashes");
    assert.equal(seen(), 3, "no fourth download");
    assert.equal(job.state, "Error");
    assert.equal((job.error as { code: string }).code, "ServiceError");
  });
});
