/**
 * JobInputAsset: jobs whose input is one of the account's assets, read from where the service
 * keeps asset content rather than downloaded. Refused at creation (400, the field named) when the
 * asset is not the account's or the input asks for what is not offered; at run time an input that
 * cannot be read ends the job in Error with Azure's DownloadNotAccessible.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { demoUsers } from "@/lib/demo/directory";
import { contosoAccount, principalOf, startAppEnvironment, type AppEnvironment } from "@/test/support/app-environment";
import { mediaLib, transformBody } from "@/test/support/media-fixtures";
import type * as Runner from "./job-runner";
import type * as Store from "./store";

const owner = principalOf(demoUsers.owner);
const scope = { principal: owner, ref: contosoAccount("assetinput") };
const jobs = { ...scope, parent: "copy" };
const clip = Buffer.from("not really media, copied as it is: ".repeat(100));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

let env: AppEnvironment;
let runner: typeof Runner;
let store: typeof Store;
let accountId: string;

const assetInput = (assetName: string, extra: Record<string, unknown> = {}) => ({
  properties: {
    input: { "@odata.type": "#Microsoft.Media.JobInputAsset", assetName, ...extra },
    outputs: [{ "@odata.type": "#Microsoft.Media.JobOutputAsset", assetName: "copied" }],
  },
});

async function runOne() {
  const r = runner.startJobRunner({ loop: false });
  try {
    return await r.runOnce();
  } finally {
    await r.stop();
  }
}

const outputError = async (name: string) =>
  (
    (await mediaLib.jobs.getJobFor(jobs, name)).properties.outputs as { error?: { code: string; message: string } }[]
  )[0]!.error;

before(async () => {
  env = await startAppEnvironment();
  runner = await import("./job-runner");
  store = await import("./store");
  const { db } = await import("@/lib/db/client");
  const account = await mediaLib.service.createAccountFor(owner, {
    ...scope.ref,
    location: "westus2",
    identityType: "None",
  });
  accountId = account.id;
  await mediaLib.service.createAccountFor(owner, {
    ...contosoAccount("otheraccount"),
    location: "westus2",
    identityType: "None",
  });
  await mediaLib.transforms.putTransformFor(scope, "copy", transformBody);
  for (const name of ["source", "empty", "copied"]) await mediaLib.assets.putAssetFor(scope, name, { properties: {} });
  await mediaLib.assets.putAssetFor({ ...scope, ref: contosoAccount("otheraccount") }, "elsewhere", {
    properties: {},
  });
  // The source's content, as a job that wrote it would have stored it.
  await db().$transaction((tx) =>
    store.writeAssetFiles(
      {
        accountId,
        assetNames: ["source"],
        files: [
          { name: "clip.mp4", size: clip.length, sha256: sha256(clip), content: clip },
          { name: "notes.txt", size: 5, sha256: sha256(Buffer.from("notes")), content: Buffer.from("notes") },
        ],
      },
      tx,
    ),
  );
});
after(async () => env?.dispose());

describe("jobs whose input is an asset", () => {
  it("runs from the asset's files: the output asset gets them byte for byte, and the job shows its input as Azure does", async () => {
    const created = await mediaLib.jobs.putJobFor(jobs, "fromasset", assetInput("SOURCE", { label: "in" }));
    assert.deepEqual(created.json.properties.input, {
      "@odata.type": "#Microsoft.Media.JobInputAsset",
      assetName: "source",
      files: [],
      label: "in",
      inputDefinitions: [],
    });
    const outcome = await runOne();
    assert.equal(outcome?.state, "Finished", JSON.stringify(outcome));
    const files = (await mediaLib.assets.getAssetFor(scope, "copied")).properties.files as {
      name: string;
      sha256: string;
    }[];
    assert.deepEqual(
      files.map((f) => [f.name, f.sha256]),
      [
        ["clip.mp4", sha256(clip)],
        ["notes.txt", sha256(Buffer.from("notes"))],
      ],
    );
  });

  it("reads only the files named", async () => {
    await mediaLib.assets.deleteAssetFor(scope, "copied");
    await mediaLib.assets.putAssetFor(scope, "copied", { properties: {} });
    await mediaLib.jobs.putJobFor(jobs, "onefile", assetInput("source", { files: ["clip.mp4"] }));
    assert.equal((await runOne())?.state, "Finished");
    const files = (await mediaLib.assets.getAssetFor(scope, "copied")).properties.files as { name: string }[];
    assert.deepEqual(
      files.map((f) => f.name),
      ["clip.mp4"],
    );
  });

  it("ends in Error (DownloadNotAccessible) when a named file is missing, or the asset has none", async () => {
    await mediaLib.jobs.putJobFor(jobs, "missingfile", assetInput("source", { files: ["nothere.mp4"] }));
    assert.equal((await runOne())?.state, "Error");
    const missing = await outputError("missingfile");
    assert.equal(missing?.code, "DownloadNotAccessible");
    assert.match(missing!.message, /has no file 'nothere\.mp4'/);

    await mediaLib.jobs.putJobFor(jobs, "emptyasset", assetInput("empty"));
    assert.equal((await runOne())?.state, "Error");
    assert.equal((await outputError("emptyasset"))?.code, "DownloadNotAccessible");
  });

  it("refuses at creation, naming the field: an asset that is not the account's, and what is not offered", async () => {
    const refusals: [string, unknown, string][] = [
      ["no such asset", assetInput("nosuchasset"), "body.properties.input.assetName"],
      ["another account's asset", assetInput("elsewhere"), "body.properties.input.assetName"],
      [
        "a clip (start)",
        assetInput("source", { start: { "@odata.type": "#Microsoft.Media.AbsoluteClipTime" } }),
        "body.properties.input",
      ],
      ["a path as a file", assetInput("source", { files: ["../other/clip.mp4"] }), "body.properties.input.files.0"],
      [
        "another input type",
        {
          properties: {
            ...assetInput("source").properties,
            input: { "@odata.type": "#Microsoft.Media.JobInputs", inputs: [] },
          },
        },
        "body.properties.input.@odata.type",
      ],
    ];
    for (const [what, body, target] of refusals)
      await assert.rejects(
        mediaLib.jobs.putJobFor(jobs, "refused", body),
        (err: Error & { code?: string; field?: string }) => {
          assert.equal(err.code, "InvalidRequestContent", `${what}: ${err.message}`);
          assert.equal(err.field, target, `${what}: ${err.message}`);
          return true;
        },
      );
    await assert.rejects(mediaLib.jobs.getJobFor(jobs, "refused"), /not found/, "nothing was created");
  });
});
