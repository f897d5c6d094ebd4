import "server-only";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { getConfig } from "@/lib/config";
import { SEGMENT_SECONDS, type EncodedAssetManifest } from "./encoded-asset";
import { assetFileContent } from "./streaming-endpoint-store";

/**
 * Packaging for HLS: each rendition MP4 of an encoded asset is cut, by stream copy (no
 * re-encode), into 2 s MPEG-TS segments and a VOD media playlist, once per asset, into a cache
 * folder under DATA_DIR named by the asset and the manifest's content hash. The cache holds clear
 * segments only: encryption happens per request with the locator's content key
 * (lib/media/streaming-origin.ts), so one packaged copy serves every locator of the asset, each
 * with its own key, and no content key is ever written to disk.
 *
 * MPEG-TS, not fMP4: hls.js decrypts whole-segment AES-128 for both, but TS with AES-128 is the
 * combination HLS has specified and players have shipped since the start (fMP4 came with
 * SAMPLE-AES/CENC in mind), so it is the one every HLS player plays with METHOD=AES-128.
 */
export interface PackagedRendition {
  dir: string;
  /** ffmpeg's VOD playlist, segment URIs `seg_{n}.ts` relative to it. */
  playlist: string;
  segments: number;
}

/**
 * FFMPEG_PATH when configured, else the static ffmpeg that `@ffmpeg-installer/linux-x64` carries,
 * found in the project's node_modules from the working directory: this runs inside the Next
 * bundle, where a module resolution would be rewritten into a module id.
 */
export function ffmpegBinary(): string {
  return (
    getConfig().jobs.ffmpegPath ?? path.join(process.cwd(), "node_modules", "@ffmpeg-installer", "linux-x64", "ffmpeg")
  );
}

function run(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegBinary(), ["-hide_banner", "-loglevel", "error", "-y", ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`ffmpeg (packaging) exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** Packaged (or packaging) assets by cache folder; a failure is forgotten so that the next request tries again. */
const packaged = new Map<string, Promise<PackagedRendition[]>>();
const MAX_REMEMBERED = 1000;

const cacheRoot = () => path.join(getConfig().dataDir, "streaming-cache");

async function readPackaged(dir: string, count: number): Promise<PackagedRendition[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const rendition = path.join(dir, `r${i}`);
      const playlist = await readFile(path.join(rendition, "index.m3u8"), "utf8");
      const segments = (await readdir(rendition)).filter((f) => f.endsWith(".ts")).length;
      return { dir: rendition, playlist, segments };
    }),
  );
}

async function packageNow(assetId: string, manifest: EncodedAssetManifest, dir: string): Promise<void> {
  await mkdir(cacheRoot(), { recursive: true });
  // Built in a temporary folder and renamed into place: another process never sees half a package.
  const work = await mkdtemp(path.join(cacheRoot(), ".work-"));
  try {
    for (const [i, r] of manifest.renditions.entries()) {
      const content = await assetFileContent({ assetId, name: r.file });
      if (!content) throw new Error(`The asset has no rendition file ${r.file}.`);
      const input = path.join(work, `in${i}.mp4`);
      await writeFile(input, content);
      const out = path.join(work, `r${i}`);
      await mkdir(out);
      await run([
        ...["-i", input, "-map", "0:v:0", "-map", "0:a:0", "-c", "copy"],
        ...["-f", "hls", "-hls_time", String(SEGMENT_SECONDS), "-hls_playlist_type", "vod", "-hls_list_size", "0"],
        ...["-hls_segment_filename", path.join(out, "seg_%d.ts"), path.join(out, "index.m3u8")],
      ]);
      await rm(input);
    }
    await rename(work, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another process packaged it first: theirs is the same.
      if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
      await rm(work, { recursive: true, force: true });
    });
  } catch (err) {
    await rm(work, { recursive: true, force: true });
    throw err;
  }
}

/** The asset's renditions packaged for HLS, in the manifest's order; packaged on first use, once (concurrent callers share it). */
export function packagedRenditions(
  asset: { id: string; manifestSha256: string },
  manifest: EncodedAssetManifest,
): Promise<PackagedRendition[]> {
  const dir = path.join(cacheRoot(), `${asset.id}-${asset.manifestSha256.slice(0, 16)}`);
  let pending = packaged.get(dir);
  if (!pending) {
    pending = readPackaged(dir, manifest.renditions.length).catch(async () => {
      await packageNow(asset.id, manifest, dir);
      return readPackaged(dir, manifest.renditions.length);
    });
    pending.catch(() => packaged.delete(dir));
    if (packaged.size >= MAX_REMEMBERED) packaged.delete(packaged.keys().next().value!);
    packaged.set(dir, pending);
  }
  return pending;
}
