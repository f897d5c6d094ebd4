import "server-only";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { getConfig } from "@/lib/config";

/**
 * The encoder: ffmpeg, from FFMPEG_PATH when the operator configured one, otherwise the static
 * build that `@ffmpeg-installer/linux-x64` carries inside its npm package (so `npm install` is
 * all a machine needs). That package has no ffprobe: an input's streams are read from what
 * `ffmpeg -i` prints, and an encode's progress from `-progress pipe:1`.
 */
export function ffmpegPath(): string {
  const configured = getConfig().jobs.ffmpegPath;
  if (configured) return configured;
  // Resolved at run time from node_modules: the package finds its binary next to itself.
  const installer = createRequire(import.meta.url)("@ffmpeg-installer/ffmpeg") as { path: string };
  return installer.path;
}

/** What an input holds, as ffmpeg reads it. */
export interface MediaInfo {
  durationSeconds: number;
  video: { width: number; height: number; frameRate: number };
  hasAudio: boolean;
}

/** ffmpeg could not read the file as media (not a container it knows, or no video stream). */
export class NotMedia extends Error {
  override name = "NotMedia";
}

/** ffmpeg failed on the file (a corrupt stream) or was stopped. */
export class EncoderFailed extends Error {
  override name = "EncoderFailed";
}

const STDERR_TAIL = 4096;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Runs ffmpeg with `args`. `onProgress` gets the encoded media time in seconds as ffmpeg reports
 * it; `signal` kills the process (SIGKILL: a stopped job must leave no encoder behind).
 */
export function runFfmpeg(
  args: string[],
  options: { signal?: AbortSignal; onProgress?: (seconds: number) => void; onSpawn?: (pid: number) => void } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new EncoderFailed("stopped before it started"));
    const child = spawn(ffmpegPath(), ["-hide_banner", "-nostdin", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid) options.onSpawn?.(child.pid);
    const kill = () => child.kill("SIGKILL");
    options.signal?.addEventListener("abort", kill, { once: true });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL);
    });
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        // out_time_us (newer ffmpeg) and out_time_ms (4.x, in microseconds despite its name).
        const m = /^out_time_(?:us|ms)=(\d+)$/.exec(line.trim());
        if (m) options.onProgress?.(Number(m[1]) / 1e6);
      }
    });
    child.on("error", (err) => {
      options.signal?.removeEventListener("abort", kill);
      reject(err);
    });
    child.on("close", (code, signal) => {
      options.signal?.removeEventListener("abort", kill);
      resolve({ code, signal, stderr });
    });
  });
}

const seconds = (h: string, m: string, s: string) => Number(h) * 3600 + Number(m) * 60 + Number(s);

/** Reads duration, the first video stream and whether there is audio from what `ffmpeg -i` prints. */
export function parseMediaInfo(stderr: string): MediaInfo | null {
  const videoLine = /^\s*Stream #\d+:\d+.*?: Video: (.*)$/m.exec(stderr)?.[1];
  const size = videoLine && /, (\d{2,5})x(\d{2,5})\b/.exec(videoLine);
  if (!size) return null;
  const rate = /, ([\d.]+)(k?) fps\b/.exec(videoLine) ?? /, ([\d.]+)(k?) tbr\b/.exec(videoLine);
  const frameRate = rate ? Number(rate[1]) * (rate[2] ? 1000 : 1) : NaN;
  const duration = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(stderr);
  return {
    durationSeconds: duration ? seconds(duration[1]!, duration[2]!, duration[3]!) : 0,
    video: {
      width: Number(size[1]),
      height: Number(size[2]),
      // A still image or a stream without a rate: encoded at 25 fps.
      frameRate: Number.isFinite(frameRate) && frameRate > 0 && frameRate <= 240 ? frameRate : 25,
    },
    hasAudio: /^\s*Stream #\d+:\d+.*?: Audio: /m.test(stderr),
  };
}

/** What the file at `path` holds; NotMedia when ffmpeg reads no video in it. */
export async function probe(path: string, signal?: AbortSignal): Promise<MediaInfo> {
  // Without an output ffmpeg exits 1 after printing the input: that is the probe.
  const { stderr, signal: killed } = await runFfmpeg(["-i", path], { signal });
  if (killed) throw new EncoderFailed(`ffmpeg was stopped (${killed})`);
  const info = parseMediaInfo(stderr);
  if (!info) throw new NotMedia(lastLine(stderr) || "no video stream");
  return info;
}

/** The last line ffmpeg printed, without the file path it names: the reason a job's error shows. */
export function lastLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("At least one output file"));
  return (lines.pop() ?? "").replace(/^\/\S+: /, "");
}
