/**
 * Attack: credentials in a JobInputHttp input, stored or shown in the clear. A file under a base
 * URI spelled as an absolute same-origin URL with its own `user:password@` passed creation (its
 * credentials silently replaced by the base's) and was stored, password included, in the clear
 * `Job.input` column that GET and the portal show. Now a file with credentials is refused at
 * creation (400, the field named); a base URI's credentials and a file's own query string (its SAS)
 * are legitimate: sealed under the account key, used by the download, never stored or shown.
 * Through lib/ against the emulator and a real database, with a real worker run.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { demoUsers } from "@/lib/demo/directory";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { findInDatabase } from "@/test/support/database-scan";
import { jobBody, transformBody } from "@/test/support/media-fixtures";
import { createAccountFor } from "@/lib/accounts/service";
import { putAssetFor } from "@/lib/media/assets";
import { jobs } from "@/test/support/media-api";
import * as runner from "@/lib/media/job-runner";
import { transforms } from "@/test/support/media-api";

process.env.JOB_POLL_INTERVAL_SECONDS = "0.2";
const owner = principalOf(demoUsers.owner);
const ref = contosoAccount("inputcreds");
const jobScope = { principal: owner, ref, parent: "copy" };
const USER = "mediauser";
const PASSWORD = `pw-${randomBytes(12).toString("base64url")}`;
const FILE_SAS = `sig=${randomBytes(16).toString("base64url")}`;

let env: AppEnvironment;
let server: http.Server;
/** The input server's origin, e.g. http://127.0.0.1:1234. */
let origin: string;
let accountId: string;
/** The Authorization header and query of each request the input server saw. */
const seen: { authorization?: string; search: string }[] = [];

before(async () => {
  env = await startAppEnvironment();
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    seen.push({ authorization: req.headers.authorization, search: url.search });
    const basic = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
    // Served only with the base URI's credentials and the file's own SAS: proof the job used both.
    if (url.pathname === "/dir/a.mp4" && req.headers.authorization === basic && url.search === `?${FILE_SAS}`)
      res.writeHead(200, { "content-length": 5 }).end("bytes");
    else res.writeHead(403).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  accountId = (await createAccountFor(owner, { ...ref, location: "westus2", identityType: "None" })).id;
  await putAssetFor({ principal: owner, ref }, "out", {});
  await transforms.putTransformFor({ principal: owner, ref }, "copy", transformBody);
});
after(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => server?.close(() => r()));
  await env?.dispose();
});

const withCredentials = (url: string) => url.replace("//", `//${USER}:${PASSWORD}@`);
const refusedAt = (field: string) => (err: Error & { code?: string; field?: string; status?: number }) =>
  err.code === "InvalidRequestContent" &&
  err.status === 400 &&
  err.field === field &&
  /carries credentials/.test(err.message) &&
  !err.message.includes(PASSWORD);
const passwordIn = async () =>
  (await findInDatabase((sql) => env.database.db.$queryRawUnsafe(sql), [PASSWORD, FILE_SAS])).hits;

describe("attack: credentials in a job's input", () => {
  it("refuses, at creation, a file that carries credentials, however spelled, naming the field; nothing is stored", async () => {
    const spellings = [
      withCredentials(`${origin}/dir/a.mp4`),
      withCredentials(`${origin}/dir/a.mp4`).replace(/^http:/, ""),
      withCredentials(`${origin}/dir/a.mp4`)
        .replace(/^http:/, "")
        .replaceAll("/", "\\"),
    ];
    for (const file of spellings)
      await assert.rejects(
        jobs.putJobFor(jobScope, "smuggled", jobBody("out", { baseUri: `${origin}/dir/`, files: ["b.mp4", file] })),
        refusedAt("body.properties.input.files.1"),
        file,
      );
    await assert.rejects(
      jobs.putJobFor(jobScope, "smuggled", jobBody("out", { files: [withCredentials(`${origin}/dir/a.mp4`)] })),
      refusedAt("body.properties.input.files.0"),
    );
    assert.equal(await env.database.db.job.count({ where: { accountId } }), 0, "no job was stored");
    assert.deepEqual(await passwordIn(), []);
  });

  it("seals a base URI's credentials and a file's own SAS: the download uses them, Job.input, GET and the database never show them", async () => {
    const created = await jobs.putJobFor(
      jobScope,
      "withcredentials",
      jobBody("out", { baseUri: withCredentials(`${origin}/dir/`), files: [`a.mp4?${FILE_SAS}`] }),
    );
    const expectedInput = {
      "@odata.type": "#Microsoft.Media.JobInputHttp",
      baseUri: `${origin}/dir/`,
      files: ["a.mp4"],
    };
    assert.deepEqual(created.json.properties.input, expectedInput);
    const row = await env.database.db.job.findFirstOrThrow({ where: { accountId, name: "withcredentials" } });
    assert.ok(!JSON.stringify(row.input).includes(PASSWORD) && !JSON.stringify(row.input).includes(FILE_SAS));

    const worker = runner.startJobRunner({ loop: false });
    const outcome = await worker.runOnce();
    await worker.stop();
    assert.equal(outcome?.state, "Finished", JSON.stringify(outcome));
    assert.equal(seen.length, 1, "one download, with the base URI's credentials and the file's SAS");

    const shown = await jobs.getJobFor(jobScope, "withcredentials");
    assert.deepEqual(shown.properties.input, expectedInput);
    assert.ok(!JSON.stringify(shown).includes(PASSWORD) && !JSON.stringify(shown).includes(FILE_SAS));
    assert.ok(!JSON.stringify(await jobs.listJobsFor(jobScope)).includes(PASSWORD));
    assert.deepEqual(await passwordIn(), []);
  });
});
