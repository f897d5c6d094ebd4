import "server-only";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  inputBaseOf,
  manifestFileName,
  renditionFileName,
  SEGMENT_SECONDS,
  bandwidthOf,
  type EncodedAssetManifest,
  type EncodedRendition,
} from "./encoded-asset";
import type { Ladder, RenditionSpec } from "./encoding-presets";
import { renditionsFor } from "./encoding-presets";
import { EncoderFailed, lastLine, NotMedia, probe, runFfmpeg, type MediaInfo } from "./ffmpeg";

export interface OutputFile {
  name: string;
  size: number;
  sha256: string;
  content: Buffer;
}

const AUDIO_KBPS = 128;
const MAX_FRAME_RATE = 60;

const outputFile = (name: string, content: Buffer): OutputFile => ({
  name,
  size: content.length,
  sha256: createHash("sha256").update(content).digest("hex"),
  content,
});

/**
 * The ffmpeg arguments of one rendition: H.264 high + AAC-LC stereo 48 kHz (silence when the
 * input has no audio), constant frame rate, and a closed GOP with a key frame exactly every
 * SEGMENT_SECONDS (forced by time, never placed by scene cuts), so that segments can be cut at
 * every key frame by stream copy, aligned across renditions.
 */
export function renditionArgs(input: string, info: MediaInfo, r: RenditionSpec, frameRate: number, out: string) {
  const gop = Math.round(frameRate * SEGMENT_SECONDS);
  // Without an audio track of its own, the input gets a silent one: every rendition has audio.
  const silence = info.hasAudio ? [] : ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=48000"];
  const audio = info.hasAudio ? ["-map", "0:a:0"] : ["-map", "1:a:0", "-shortest"];
  return [
    "-i",
    input,
    ...silence,
    "-map",
    "0:v:0",
    ...audio,
    "-map_metadata",
    "-1",
    "-vf",
    `scale=${r.width}:${r.height},setsar=1`,
    "-r",
    String(frameRate),
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-profile:v",
    "high",
    "-pix_fmt",
    "yuv420p",
    "-b:v",
    `${r.videoKbps}k`,
    "-maxrate",
    `${r.videoKbps}k`,
    "-bufsize",
    `${r.videoKbps * 2}k`,
    "-g",
    String(gop),
    "-keyint_min",
    String(gop),
    "-sc_threshold",
    "0",
    "-force_key_frames",
    `expr:gte(t,n_forced*${SEGMENT_SECONDS})`,
    "-flags",
    "+cgop",
    "-c:a",
    "aac",
    "-b:a",
    `${AUDIO_KBPS}k`,
    "-ac",
    "2",
    "-ar",
    "48000",
    "-movflags",
    "+faststart",
    "-f",
    "mp4",
    "-progress",
    "pipe:1",
    "-nostats",
    "-y",
    out,
  ];
}

/** The RFC 6381 codecs of an MP4 this encoder wrote: its avcC's profile, constraints and level, and AAC-LC. */
export function codecsOf(mp4: Buffer): string {
  const at = mp4.indexOf("avcC");
  if (at < 0) throw new EncoderFailed("the encoded file has no H.264 configuration (avcC)");
  const hex = mp4.subarray(at + 5, at + 8).toString("hex");
  return `avc1.${hex},mp4a.40.2`;
}

export interface EncodeOptions {
  signal: AbortSignal;
  /** The share (0-1) of this input's encode done. */
  onProgress: (share: number) => void;
  /** Called before each step (probe, each rendition); throws to stop the encode there. */
  checkpoint: () => Promise<void>;
}

/**
 * Encodes one input file into the renditions of `ladder` and their manifest, in a temporary
 * folder removed afterwards. NotMedia when ffmpeg reads no video in it, EncoderFailed when a
 * stream does not decode or the encoder was killed.
 */
export async function encodeInput(
  input: { name: string; content: Buffer },
  ladder: Ladder,
  options: EncodeOptions,
): Promise<OutputFile[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "byok-encode-"));
  try {
    const source = path.join(dir, "input");
    await writeFile(source, input.content);
    await options.checkpoint();
    const info = await probe(source, options.signal).catch((err: unknown) => {
      throw err instanceof NotMedia ? new NotMedia(`${input.name}: ${err.message}`) : err;
    });
    const frameRate = Math.min(info.video.frameRate, MAX_FRAME_RATE);
    const base = inputBaseOf(input.name);
    const specs = renditionsFor(ladder, info.video);
    const files: OutputFile[] = [];
    const renditions: EncodedRendition[] = [];
    for (const [i, spec] of specs.entries()) {
      await options.checkpoint();
      const rendition = {
        width: spec.width,
        height: spec.height,
        videoBitrate: spec.videoKbps * 1000,
        audioBitrate: AUDIO_KBPS * 1000,
      };
      const name = renditionFileName(base, rendition);
      const out = path.join(dir, name);
      const run = await runFfmpeg(renditionArgs(source, info, spec, frameRate, out), {
        signal: options.signal,
        onProgress: (seconds) =>
          info.durationSeconds > 0 &&
          options.onProgress((i + Math.min(1, seconds / info.durationSeconds)) / specs.length),
      });
      if (run.signal) throw new EncoderFailed(`the encoder was stopped (${run.signal})`);
      if (run.code !== 0) throw new EncoderFailed(lastLine(run.stderr) || `ffmpeg exited with ${run.code}`);
      const content = await readFile(out);
      files.push(outputFile(name, content));
      renditions.push({ file: name, ...rendition, codecs: codecsOf(content), frameRate });
    }
    const manifest: EncodedAssetManifest = {
      version: 1,
      durationSeconds: info.durationSeconds,
      segmentSeconds: SEGMENT_SECONDS,
      renditions: renditions.sort((a, b) => bandwidthOf(b) - bandwidthOf(a)),
    };
    files.push(outputFile(manifestFileName(base), Buffer.from(JSON.stringify(manifest, null, 2))));
    return files;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
