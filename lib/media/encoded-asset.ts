import { z } from "zod";

/**
 * What an encoding job leaves in its output asset, read by whatever serves it (packaging):
 * one progressive MP4 per rendition, `{inputBase}_{width}x{height}_{videoKbps}.mp4` (H.264
 * yuv420p main/high + AAC-LC stereo 48 kHz, faststart, a closed GOP with a key frame exactly
 * every `segmentSeconds`, so 2 s segments can be cut by stream copy), and one manifest
 * `{inputBase}_manifest.json` describing them, renditions by bandwidth, highest first.
 *
 * No `server-only` guard: this is a pure schema with no secret, usable by any module.
 */
export const SEGMENT_SECONDS = 2;

export const EncodedRendition = z.object({
  /** The MP4's file name in the asset. */
  file: z.string().regex(/^[A-Za-z0-9_-]+_\d+x\d+_\d+\.mp4$/),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Bits per second. */
  videoBitrate: z.number().int().positive(),
  audioBitrate: z.number().int().positive(),
  /** RFC 6381, for HLS CODECS: e.g. "avc1.64001e,mp4a.40.2". */
  codecs: z.string().regex(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/),
  frameRate: z.number().positive(),
});
export type EncodedRendition = z.infer<typeof EncodedRendition>;

export const EncodedAssetManifest = z.object({
  version: z.literal(1),
  durationSeconds: z.number().nonnegative(),
  segmentSeconds: z.literal(SEGMENT_SECONDS),
  renditions: z.array(EncodedRendition).min(1),
});
export type EncodedAssetManifest = z.infer<typeof EncodedAssetManifest>;

const MANIFEST_SUFFIX = "_manifest.json";

/** The input file's name without its extension, in the characters output names use. */
export function inputBaseOf(fileName: string): string {
  const base = fileName.replace(/\.[^./]*$/, "").replace(/[^A-Za-z0-9_-]/g, "_");
  return base || "input";
}

export const manifestFileName = (inputBase: string) => `${inputBase}${MANIFEST_SUFFIX}`;

export const renditionFileName = (inputBase: string, r: { width: number; height: number; videoBitrate: number }) =>
  `${inputBase}_${r.width}x${r.height}_${Math.round(r.videoBitrate / 1000)}.mp4`;

/** The manifests among an asset's files (one per encoded input file). */
export const manifestFilesOf = (files: { name: string }[]): string[] =>
  files.map((f) => f.name).filter((name) => name.endsWith(MANIFEST_SUFFIX));

/** Parses a manifest's bytes; throws (a ZodError or SyntaxError) when they are not one. */
export function parseEncodedAssetManifest(content: Uint8Array | string): EncodedAssetManifest {
  const text = typeof content === "string" ? content : Buffer.from(content).toString("utf8");
  return EncodedAssetManifest.parse(JSON.parse(text));
}

/** A rendition's peak bits per second as HLS BANDWIDTH counts it: video and audio. */
export const bandwidthOf = (r: Pick<EncodedRendition, "videoBitrate" | "audioBitrate">) =>
  r.videoBitrate + r.audioBitrate;
