/**
 * Segment serving throughput of a streaming endpoint's origin against a bare static file server of
 * the same bytes, measured in the same run, each server in a process of its own and the load
 * (autocannon) from a third:
 * - baseline: node:http + fs.readFile of the very bytes the origin answers (the encrypted segment);
 * - origin, Predefined_ClearKey: per request the endpoint's and account's state, the locator and
 *   asset, the sealed content key (opened with the cached account key) from the database, the
 *   packaged clear segment from the cache folder, and AES-128-CBC of it;
 * - origin, Predefined_ClearStreamingOnly: the same without the key and the encryption, so the
 *   difference between the two is what encrypting on the fly costs.
 * Prints requests/s, MB/s and the ratios.
 *
 *   npm run bench -- streaming   (DURATION=10 CONNECTIONS=16; TEST_DATABASE=postgresql://… for a server)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createAccountFor } from "@/lib/accounts/service";
import { db } from "@/lib/db/client";
import { demoUsers } from "@/lib/demo/directory";
import { putAssetFor } from "@/lib/media/assets";
import { putContentKeyPolicyFor } from "@/lib/media/content-key-policies";
import { writeAssetFiles } from "@/lib/media/store";
import { findStreamingEndpoint } from "@/lib/media/streaming-endpoint-store";
import { startStreamingEndpointFor } from "@/lib/media/streaming-endpoints";
import { listPathsFor, putStreamingLocatorFor } from "@/lib/media/streaming-locators";
import { contosoAccount, principalOf, startAppEnvironment } from "@/test/support/app-environment";
import { encodedAssetFiles } from "@/test/support/encoded-fixture";
import { tokenPolicyInput } from "@/test/support/media-fixtures";

const duration = Number(process.env.DURATION ?? 10);
const connections = Number(process.env.CONNECTIONS ?? 16);

const env = await startAppEnvironment();
const owner = principalOf(demoUsers.owner);
const ref = contosoAccount("benchstreaming");
const scope = { principal: owner, ref };
const children: ChildProcess[] = [];
const staticDir = await mkdtemp(path.join(os.tmpdir(), "bench-static-"));

/** Starts a server process and waits for the URL it prints. */
function start(args: string[]): Promise<string> {
  const child = spawn(process.execPath, args, { env: process.env, stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(d.toString().trim()));
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
}

/** autocannon in its own process: requests/s and bytes/s over `duration` seconds; every answer must be a 200. */
function load(url: string): Promise<{ rps: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["node_modules/autocannon/autocannon.js", "-c", String(connections), "-d", String(duration), "-j", url],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", () => {
      const r = JSON.parse(out) as { requests: { average: number }; throughput: { average: number }; non2xx: number };
      if (r.non2xx) reject(new Error(`${url}: ${r.non2xx} answers were not 2xx`));
      else resolve({ rps: r.requests.average, bytes: r.throughput.average });
    });
  });
}

try {
  const account = await createAccountFor(owner, { ...ref, location: "westus2", identityType: "SystemAssigned" });
  await putAssetFor(scope, "encoded", {});
  const files = encodedAssetFiles("clip", 6);
  await db().$transaction((tx) => writeAssetFiles({ accountId: account.id, assetNames: ["encoded"], files }, tx));
  await putContentKeyPolicyFor(scope, "signed", tokenPolicyInput(Buffer.alloc(32, 7)));
  for (const [name, streamingPolicyName] of [
    ["enc", "Predefined_ClearKey"],
    ["clear", "Predefined_ClearStreamingOnly"],
  ] as const)
    await putStreamingLocatorFor(scope, name, {
      assetName: "encoded",
      streamingPolicyName,
      defaultContentKeyPolicyName: "signed",
      filters: [],
    });
  await startStreamingEndpointFor(scope, "default");
  const endpoint = (await findStreamingEndpoint({ accountId: account.id, name: "default" }))!;
  const segmentPath = async (locator: string) =>
    `/streaming/${endpoint.id}${(await listPathsFor(scope, locator)).streamingPaths[0]!.paths[0]!.replace(/manifest\(.*$/, "")}r0/seg_1.ts`;

  const origin = await start([
    "--conditions=react-server",
    "--import",
    "tsx",
    "bench/support/streaming-origin-server.ts",
  ]);
  const baseline = await start(["bench/support/static-file-server.mjs", staticDir]);
  const encrypted = `${origin}${await segmentPath("enc")}`;
  const clear = `${origin}${await segmentPath("clear")}`;
  // Warm-up: packaging (once per asset) and the account key's unwrap happen here, not in the measurement.
  const bytes = Buffer.from(await (await fetch(encrypted)).arrayBuffer());
  await fetch(clear);
  await writeFile(path.join(staticDir, "seg_1.ts"), bytes);

  const results = {
    "baseline (static file, node:http)": await load(`${baseline}/seg_1.ts`),
    "origin, ClearKey (AES-128 per request)": await load(encrypted),
    "origin, ClearStreamingOnly (clear)": await load(clear),
  };
  const base = results["baseline (static file, node:http)"].rps;
  console.log(
    `one ${bytes.length}-byte segment, ${connections} connections, ${duration} s each, autocannon in its own process, database ${env.database.engine}:`,
  );
  for (const [name, r] of Object.entries(results))
    console.log(
      `  ${name.padEnd(40)} ${Math.round(r.rps).toString().padStart(6)} req/s ${(r.bytes / 1e6).toFixed(1).padStart(7)} MB/s  ratio ${(r.rps / base).toFixed(3)}`,
    );
} finally {
  for (const child of children) child.kill("SIGTERM");
  await rm(staticDir, { recursive: true, force: true });
  await env.dispose();
}
