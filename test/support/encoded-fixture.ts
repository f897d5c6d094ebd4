/**
 * An encoded output asset as the encoder leaves it (lib/media/encoded-asset.ts), made with the
 * project's ffmpeg from a generated clip (testsrc + a sine tone, no download): two renditions,
 * H.264 high@3.0 + AAC-LC stereo, a key frame exactly every 2 s, +faststart, and the manifest.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

export interface FixtureFile {
  name: string;
  size: number;
  sha256: string;
  content: Buffer;
}

const ffmpeg = () =>
  path.join(path.dirname(createRequire(import.meta.url).resolve("@ffmpeg-installer/linux-x64/package.json")), "ffmpeg");

const fileOf = (name: string, content: Buffer): FixtureFile => ({
  name,
  size: content.length,
  sha256: createHash("sha256").update(content).digest("hex"),
  content,
});

export function encodedAssetFiles(inputBase = "clip", seconds = 8): FixtureFile[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), "encoded-"));
  try {
    const ladder = [
      { width: 320, height: 180, kbps: 300 },
      { width: 192, height: 108, kbps: 120 },
    ];
    const files = ladder.map((r) => {
      const name = `${inputBase}_${r.width}x${r.height}_${r.kbps}.mp4`;
      const out = path.join(dir, name);
      const run = spawnSync(
        ffmpeg(),
        [
          ...["-hide_banner", "-loglevel", "error", "-y"],
          ...["-f", "lavfi", "-i", `testsrc=size=${r.width}x${r.height}:rate=25:duration=${seconds}`],
          ...["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
          ...["-c:v", "libx264", "-profile:v", "high", "-level", "3.0", "-pix_fmt", "yuv420p", "-b:v", `${r.kbps}k`],
          ...["-g", "50", "-keyint_min", "50", "-sc_threshold", "0"],
          ...["-c:a", "aac", "-b:a", "64k", "-ac", "2", "-movflags", "+faststart", out],
        ],
        { encoding: "utf8" },
      );
      if (run.status !== 0) throw new Error(`ffmpeg: ${run.stderr}`);
      return { ...r, file: fileOf(name, readFileSync(out)) };
    });
    const manifest = {
      version: 1,
      durationSeconds: seconds,
      segmentSeconds: 2,
      renditions: files.map((r) => ({
        file: r.file.name,
        width: r.width,
        height: r.height,
        videoBitrate: r.kbps * 1000,
        audioBitrate: 64_000,
        codecs: "avc1.64001e,mp4a.40.2",
        frameRate: 25,
      })),
    };
    return [
      ...files.map((r) => r.file),
      fileOf(`${inputBase}_manifest.json`, Buffer.from(JSON.stringify(manifest, null, 2))),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
