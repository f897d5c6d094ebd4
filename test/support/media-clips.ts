/**
 * Test media made and inspected with the project's own ffmpeg (no download, no ffprobe): a
 * short testsrc clip, whether a file decodes, its video size and its key frames' times.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import ffmpegInstaller from "@ffmpeg-installer/ffmpeg";

const run = promisify(execFile);
export const ffmpegBin: string = process.env.FFMPEG_PATH || ffmpegInstaller.path;

/** A testsrc clip (with a sine tone unless `audio` is false) as MP4 bytes, encoded fast. */
export async function makeClip({
  width = 640,
  height = 360,
  rate = 24,
  seconds = 4,
  audio = true,
}: { width?: number; height?: number; rate?: number; seconds?: number; audio?: boolean } = {}): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "clip-"));
  try {
    const out = path.join(dir, "clip.mp4");
    await run(ffmpegBin, [
      "-v",
      "error",
      "-f",
      "lavfi",
      "-i",
      `testsrc=size=${width}x${height}:rate=${rate}`,
      ...(audio ? ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"] : []),
      "-t",
      String(seconds),
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      ...(audio ? ["-c:a", "aac"] : []),
      out,
    ]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes bytes to a temporary file for `read`, removed afterwards. */
export async function withFile<T>(content: Buffer, read: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "clip-"));
  try {
    const file = path.join(dir, "media.mp4");
    await writeFile(file, content);
    return await read(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a full decode of the file reports as errors ("" when it decodes cleanly). */
export async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await run(ffmpegBin, ["-v", "error", "-i", file, "-f", "null", "-"]);
  return stderr.trim();
}

export interface Inspected {
  video: { codec: string; profile: string; width: number; height: number; pixFmt: string };
  audio: { codec: string; sampleRate: number; channels: string } | null;
  /** The presentation times (s) of the video's key frames. */
  keyframes: number[];
  durationSeconds: number;
}

/** Reads streams from `ffmpeg -i` and the key frames from showinfo over the key frames only. */
export async function inspect(file: string): Promise<Inspected> {
  const { stderr } = await run(ffmpegBin, [
    "-hide_banner",
    "-skip_frame",
    "nokey",
    "-i",
    file,
    "-map",
    "0:v:0",
    "-vf",
    "showinfo",
    "-f",
    "null",
    "-",
  ]);
  const video = /Stream #0:\d+.*?: Video: (\w+) \(([^)]+)\).*?, (\w+)(?:\([^)]*\))?, (\d+)x(\d+)/.exec(stderr);
  const audio = /Stream #0:\d+.*?: Audio: (\w+).*?, (\d+) Hz, (\w+)/.exec(stderr);
  const duration = /Duration: (\d+):(\d+):([\d.]+)/.exec(stderr);
  if (!video || !duration) throw new Error(`not media: ${stderr.slice(-500)}`);
  return {
    video: {
      codec: video[1]!,
      profile: video[2]!,
      pixFmt: video[3]!,
      width: Number(video[4]),
      height: Number(video[5]),
    },
    audio: audio ? { codec: audio[1]!, sampleRate: Number(audio[2]), channels: audio[3]! } : null,
    keyframes: [...stderr.matchAll(/pts_time:([\d.]+).*?iskey:1/g)].map((m) => Number(m[1])),
    durationSeconds: Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]),
  };
}
