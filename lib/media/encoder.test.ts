/**
 * The encoder with the project's own ffmpeg on clips it generates: renditions that decode, at the
 * sizes the preset asks (never upscaled), with audio in each, a key frame exactly every 2 s, and a
 * manifest that describes them; and the presets a transform may name.
 */
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { decodeErrors, inspect, makeClip, withFile, type Inspected } from "@/test/support/media-clips";
import { manifestFilesOf, parseEncodedAssetManifest, inputBaseOf } from "./encoded-asset";
import { codecsOf, encodeInput, type OutputFile } from "./encoder";
import { planOf, renditionsFor, type Ladder } from "./encoding-presets";
import { NotMedia, parseMediaInfo } from "./ffmpeg";

const ladderOf = (presetName: string): Ladder => {
  const plan = planOf({ "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName });
  assert.ok(plan?.kind === "encode", presetName);
  return plan.ladder;
};

const noCheckpoint = async () => {};
const encode = (content: Buffer, presetName: string, name = "my clip.mp4", onProgress = (_: number) => {}) =>
  encodeInput({ name, content }, ladderOf(presetName), {
    signal: new AbortController().signal,
    onProgress,
    checkpoint: noCheckpoint,
  });

const inspectFile = (f: OutputFile) =>
  withFile(f.content, async (file) => ({ errors: await decodeErrors(file), info: await inspect(file) }));

/** Key frames exactly every 2 s from 0 to the end of the clip. */
function assertKeyframesEvery2s(info: Inspected, name: string) {
  const expected = Array.from({ length: Math.ceil(info.durationSeconds / 2 - 0.05) }, (_, i) => i * 2);
  assert.deepEqual(
    info.keyframes.map((t) => Math.round(t * 1000) / 1000),
    expected,
    `${name}: key frames at ${info.keyframes.join(", ")}`,
  );
}

describe("the presets a transform may name", () => {
  it("runs the H.264 built-in presets and the copy preset; refuses analyzers, H.265 and custom presets", () => {
    for (const name of ["H264SingleBitrate720p", "H264SingleBitrate1080p", "AdaptiveStreaming", "ContentAwareEncoding"])
      assert.equal(
        planOf({ "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName: name })?.kind,
        "encode",
      );
    assert.equal(
      planOf({
        "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset",
        presetName: "CopyAllBitrateNonInterleaved",
      })?.kind,
      "copy",
    );
    for (const preset of [
      { "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName: "H265AdaptiveStreaming" },
      { "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset", presetName: "AACGoodQualityAudio" },
      { "@odata.type": "#Microsoft.Media.BuiltInStandardEncoderPreset" },
      { "@odata.type": "#Microsoft.Media.StandardEncoderPreset", codecs: [] },
      { "@odata.type": "#Microsoft.Media.VideoAnalyzerPreset", presetName: "AdaptiveStreaming" },
    ])
      assert.equal(planOf(preset), null, JSON.stringify(preset));
  });

  it("downscales to the preset's height with the aspect kept, never upscales, and ladders down from the input", () => {
    assert.deepEqual(renditionsFor(ladderOf("H264SingleBitrate720p"), { width: 1920, height: 1080 }), [
      { width: 1280, height: 720, videoKbps: 4500 },
    ]);
    assert.deepEqual(renditionsFor(ladderOf("H264SingleBitrate1080p"), { width: 3840, height: 2160 }), [
      { width: 1920, height: 1080, videoKbps: 6750 },
    ]);
    assert.deepEqual(
      renditionsFor(ladderOf("H264SingleBitrate1080p"), { width: 640, height: 360 }).map((r) => [r.width, r.height]),
      [[640, 360]],
    );
    assert.deepEqual(
      renditionsFor(ladderOf("AdaptiveStreaming"), { width: 1440, height: 1080 }).map((r) => [r.width, r.height]),
      [
        [1440, 1080],
        [960, 720],
        [720, 540],
      ],
    );
    // The multiple-bitrate presets ladder every rung down from their top height.
    assert.deepEqual(
      renditionsFor(ladderOf("H264MultipleBitrate720p"), { width: 1920, height: 1080 }).map((r) => r.height),
      [720, 540, 360, 270, 180],
    );
    assert.deepEqual(renditionsFor(ladderOf("H264MultipleBitrate1080p"), { width: 1920, height: 1080 })[0], {
      width: 1920,
      height: 1080,
      videoKbps: 6750,
    });
    assert.equal(renditionsFor(ladderOf("H264MultipleBitrateSD"), { width: 1920, height: 1080 })[0]!.height, 480);
    const small = renditionsFor(ladderOf("ContentAwareEncoding"), { width: 640, height: 360 });
    assert.deepEqual(
      small.map((r) => [r.width, r.height]),
      [
        [640, 360],
        [480, 270],
        [320, 180],
      ],
    );
    assert.ok(small[0]!.videoKbps > small[1]!.videoKbps && small[1]!.videoKbps > small[2]!.videoKbps);
  });

  it("reads an input's streams from what ffmpeg -i prints", () => {
    const printed = `Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mp4':
  Duration: 00:01:04.02, start: 0.000000, bitrate: 260 kb/s
    Stream #0:0(und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9], 180 kb/s, 29.97 fps, 29.97 tbr, 30k tbn, 59.94 tbc (default)
    Stream #0:1(und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 73 kb/s (default)`;
    assert.deepEqual(parseMediaInfo(printed), {
      durationSeconds: 64.02,
      video: { width: 1280, height: 720, frameRate: 29.97 },
      hasAudio: true,
    });
    assert.equal(parseMediaInfo("bad.mp4: Invalid data found when processing input"), null);
    assert.equal(parseMediaInfo("Stream #0:0: Audio: mp3, 44100 Hz, stereo"), null, "audio only: no video to encode");
  });
});

describe("encoding with ffmpeg", () => {
  let clip: Buffer;
  before(async () => {
    clip = await makeClip({ width: 640, height: 360, rate: 24, seconds: 4 });
  });

  it("AdaptiveStreaming: three renditions that decode, H.264 high + AAC-LC stereo 48 kHz, key frames every 2 s, and their manifest", async () => {
    const shares: number[] = [];
    const files = await encode(clip, "AdaptiveStreaming", "my clip.mp4", (s) => shares.push(s));
    const names = files.map((f) => f.name).sort();
    assert.deepEqual(names, [
      "my_clip_320x180_200.mp4",
      "my_clip_480x270_300.mp4",
      "my_clip_640x360_500.mp4",
      "my_clip_manifest.json",
    ]);
    assert.deepEqual(manifestFilesOf(files), ["my_clip_manifest.json"]);
    const manifest = parseEncodedAssetManifest(files.find((f) => f.name === "my_clip_manifest.json")!.content);
    assert.equal(manifest.segmentSeconds, 2);
    assert.ok(Math.abs(manifest.durationSeconds - 4) < 0.2, `duration ${manifest.durationSeconds}`);
    assert.deepEqual(
      manifest.renditions.map((r) => [r.file, r.width, r.height, r.videoBitrate, r.audioBitrate, r.frameRate]),
      [
        ["my_clip_640x360_500.mp4", 640, 360, 500_000, 128_000, 24],
        ["my_clip_480x270_300.mp4", 480, 270, 300_000, 128_000, 24],
        ["my_clip_320x180_200.mp4", 320, 180, 200_000, 128_000, 24],
      ],
      "by bandwidth, highest first",
    );
    for (const r of manifest.renditions) {
      const file = files.find((f) => f.name === r.file)!;
      assert.match(r.codecs, /^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/, "H.264 high profile and AAC-LC");
      assert.equal(r.codecs, codecsOf(file.content));
      const { errors, info } = await inspectFile(file);
      assert.equal(errors, "", `${r.file} decodes`);
      assert.deepEqual(info.video, {
        codec: "h264",
        profile: "High",
        pixFmt: "yuv420p",
        width: r.width,
        height: r.height,
      });
      assert.deepEqual(info.audio, { codec: "aac", sampleRate: 48000, channels: "stereo" });
      assertKeyframesEvery2s(info, r.file);
      // faststart: the movie header comes before the media data.
      assert.ok(file.content.indexOf("moov") < file.content.indexOf("mdat"), `${r.file}: moov first`);
    }
    assert.ok(shares.length > 0 && shares.every((s, i) => s >= 0 && s <= 1 && (i === 0 || s >= shares[i - 1]!)));
    assert.ok(shares.at(-1)! > 0.9, `progress reached ${shares.at(-1)}`);
  });

  it("H264SingleBitrate720p on a smaller input: one rendition at the input's size, with silent audio added when it has none", async () => {
    const silentClip = await makeClip({ width: 320, height: 240, rate: 25, seconds: 3, audio: false });
    const files = await encode(silentClip, "H264SingleBitrate720p", "quiet.mov");
    const manifest = parseEncodedAssetManifest(files.find((f) => f.name === "quiet_manifest.json")!.content);
    assert.deepEqual(
      manifest.renditions.map((r) => [r.width, r.height, r.frameRate]),
      [[320, 240, 25]],
    );
    const { errors, info } = await inspectFile(files.find((f) => f.name === manifest.renditions[0]!.file)!);
    assert.equal(errors, "");
    assert.deepEqual(info.audio, { codec: "aac", sampleRate: 48000, channels: "stereo" });
    assert.ok(Math.abs(info.durationSeconds - 3) < 0.2, `silence lasts as long as the video: ${info.durationSeconds}`);
    assertKeyframesEvery2s(info, "quiet");
  });

  it("refuses an input that is not media with NotMedia, naming the file", async () => {
    await assert.rejects(encode(Buffer.from("not a video at all"), "AdaptiveStreaming", "notes.mp4"), (err: Error) => {
      assert.ok(err instanceof NotMedia, String(err));
      assert.match(err.message, /^notes\.mp4: /);
      assert.ok(!err.message.includes("/tmp"), "no temporary path in the message");
      return true;
    });
  });

  it("names outputs after the input without its extension, in safe characters", () => {
    assert.equal(inputBaseOf("Big Buck (2008).final.mp4"), "Big_Buck__2008__final");
    assert.equal(inputBaseOf(".mp4"), "input");
  });
});
