import "server-only";

/**
 * The presets this service runs, and the renditions each makes of an input. Azure's
 * BuiltInStandardEncoderPreset names; the others (analyzers, custom StandardEncoderPreset, H.265,
 * audio-only) are refused when the transform is created.
 *
 * - H264SingleBitrate720p / 1080p: one rendition, downscaled to that height, never upscaled,
 *   aspect kept; Azure's bitrates (4500 / 6750 kb/s) at the full size, less in proportion below it.
 * - H264MultipleBitrate1080p / 720p / SD: a ladder from 1080 / 720 / 480 lines down, every rung
 *   of RUNG_HEIGHTS below the top (at most 6 renditions where Azure makes 8, 6 and 5); Azure's top
 *   bitrates (6750 / 3400 / 2200 kb/s).
 * - AdaptiveStreaming (and ContentAwareEncoding, which Azure tunes per title; here the same
 *   ladder): up to 3 renditions from the input's height (at most 1080) down.
 * - CopyAllBitrateNonInterleaved: the input files are copied into the output asset as they are
 *   (Azure copies the streams without re-encoding; this service does not look into the files).
 */
export const BUILT_IN_PRESET = "#Microsoft.Media.BuiltInStandardEncoderPreset";

export interface Ladder {
  /** The top rendition's height: the input's, capped here. */
  maxHeight: number;
  rungs: number;
  /** Video bitrate at maxHeight (kb/s); lower renditions get it in proportion to their pixels. */
  topKbps: number;
}

export type EncodingPlan = { kind: "copy" } | { kind: "encode"; presetName: string; ladder: Ladder };

const adaptive: Ladder = { maxHeight: 1080, rungs: 3, topKbps: 4500 };
const encode = (presetName: string, maxHeight: number, rungs: number, topKbps: number): EncodingPlan => ({
  kind: "encode",
  presetName,
  ladder: { maxHeight, rungs, topKbps },
});
const PLANS: Record<string, EncodingPlan> = {
  H264SingleBitrate720p: encode("H264SingleBitrate720p", 720, 1, 4500),
  H264SingleBitrate1080p: encode("H264SingleBitrate1080p", 1080, 1, 6750),
  AdaptiveStreaming: { kind: "encode", presetName: "AdaptiveStreaming", ladder: adaptive },
  ContentAwareEncoding: { kind: "encode", presetName: "ContentAwareEncoding", ladder: adaptive },
  CopyAllBitrateNonInterleaved: { kind: "copy" },
  H264MultipleBitrate1080p: encode("H264MultipleBitrate1080p", 1080, 8, 6750),
  H264MultipleBitrate720p: encode("H264MultipleBitrate720p", 720, 6, 3400),
  H264MultipleBitrateSD: encode("H264MultipleBitrateSD", 480, 5, 2200),
};

export const SUPPORTED_PRESETS = Object.keys(PLANS);

/** The plan of a transform output's preset, or null when this service does not run it. */
export function planOf(preset: { "@odata.type": string; presetName?: unknown }): EncodingPlan | null {
  if (preset["@odata.type"] !== BUILT_IN_PRESET || typeof preset.presetName !== "string") return null;
  const name = SUPPORTED_PRESETS.find((n) => n.toLowerCase() === (preset.presetName as string).toLowerCase());
  return name ? PLANS[name]! : null;
}

export interface RenditionSpec {
  width: number;
  height: number;
  videoKbps: number;
}

/** Lower rungs, by height; a rung is used when it is at most 4/5 of the one above. */
const RUNG_HEIGHTS = [1080, 720, 540, 360, 270, 180];
const MIN_KBPS = 200;
const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
const round50 = (n: number) => Math.max(MIN_KBPS, Math.round(n / 50) * 50);

/** The renditions of an input of `width`×`height`, highest first. */
export function renditionsFor(ladder: Ladder, input: { width: number; height: number }): RenditionSpec[] {
  const topHeight = even(Math.min(input.height, ladder.maxHeight));
  const heights = [topHeight, ...RUNG_HEIGHTS.filter((h) => h <= topHeight * 0.8)].slice(0, ladder.rungs);
  const topPixels = ((ladder.maxHeight * 16) / 9) * ladder.maxHeight;
  return heights.map((height) => {
    const width = even((height * input.width) / input.height);
    return { width, height, videoKbps: round50((ladder.topKbps * width * height) / topPixels) };
  });
}
