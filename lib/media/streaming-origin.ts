import "server-only";
import { createCipheriv, createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { decide } from "@/lib/accounts/policy";
import { getConfig } from "@/lib/config";
import { DomainError } from "@/lib/errors";
import { accountKey } from "@/lib/keys/hierarchy";
import { boundedCache } from "@/lib/observability/bounded-cache";
import { bandwidthOf, parseEncodedAssetManifest, type EncodedAssetManifest } from "./encoded-asset";
import { packagedRenditions } from "./hls-packager";
import { openSecretsOf } from "./secrets";
import { assetFileContent, originEndpoint, publishedAsset } from "./streaming-endpoint-store";
import { StoredContentKeys } from "./streaming-locators";
import { streamingPolicies, type StreamingPolicyName } from "./streaming-policies";

/**
 * The origin of streaming endpoints: `/streaming/{endpointId}/{streamingLocatorId}/{name}.ism/...`,
 * what listPaths names. No session and no token: a locator id is the capability, as in Azure,
 * and the content key (for Predefined_ClearKey) is what key delivery guards. Every request reads
 * the endpoint's and the account's state, so a stopped endpoint serves nothing and an account
 * whose customer key is inaccessible serves nothing either (403 with the reason).
 *
 *   manifest(format=m3u8-cmaf[,encryption=cbc])  the HLS multivariant playlist
 *   r{i}/index.m3u8                              rendition i's media playlist (EXT-X-KEY per segment when encrypted)
 *   r{i}/seg_{n}.ts                              segment n: clear, or AES-128-CBC (PKCS#7, IV = n) with the locator's content key
 */
export const streamingCorsHeaders = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
  "Access-Control-Allow-Headers": "Range",
  "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges, ETag",
  "Access-Control-Max-Age": "600",
  "Timing-Allow-Origin": "*",
};

/** Segments never change under their URL (a new encode is a new asset): a CDN keeps them. Ciphertext is useless without the key. */
const SEGMENT_CACHE = "public, max-age=31536000, immutable";
/** Playlists are re-read often, so that a CDN stops handing them out within seconds of a refusal. */
const PLAYLIST_CACHE = "public, max-age=2";

class OriginError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const notFound = (message: string) => new OriginError(404, "NotFound", message);

function errorResponse(err: OriginError): Response {
  return Response.json(
    { error: { code: err.code, message: err.message } },
    { status: err.status, headers: { ...streamingCorsHeaders, "Cache-Control": "no-store", ...err.headers } },
  );
}

const Ids = z.object({ endpointId: z.uuid(), locatorId: z.uuid() });

interface Published {
  account: NonNullable<Awaited<ReturnType<typeof originEndpoint>>>["account"];
  locator: NonNullable<Awaited<ReturnType<typeof publishedAsset>>>["locator"];
  assetId: string;
  manifest: EncodedAssetManifest;
  manifestSha256: string;
  encrypted: boolean;
}

/** Parsed manifests by content hash, of the most recently streamed assets. */
const manifests = boundedCache<string, EncodedAssetManifest>("streaming-manifests", 1000);

async function published(endpointId: string, locatorId: string, ism: string): Promise<Published> {
  const endpoint = await originEndpoint(endpointId);
  if (!endpoint) throw notFound("There is no streaming endpoint here.");
  if (endpoint.resourceState !== "Running")
    throw new OriginError(
      404,
      "StreamingEndpointNotRunning",
      `The streaming endpoint is ${endpoint.resourceState}: it serves only while Running.`,
    );
  const { account } = endpoint;
  // The account's owners read the key's details through the API; a viewer learns that it is the key.
  if (!decide(account, "streaming").allowed)
    throw new OriginError(
      403,
      "CustomerKeyInaccessible",
      "The account's customer-managed key is inaccessible: its content cannot be streamed until the key is restored.",
    );
  const found = await publishedAsset({ accountId: account.id, streamingLocatorId: locatorId });
  if (!found) throw notFound("There is no streaming locator with this id.");
  const { locator, asset } = found;
  const now = Date.now();
  if ((locator.startTime && locator.startTime.getTime() > now) || (locator.endTime && locator.endTime.getTime() < now))
    throw new OriginError(403, "StreamingLocatorNotActive", "The streaming locator is outside its start and end time.");
  const policy = streamingPolicies[locator.streamingPolicyName as StreamingPolicyName];
  if (!policy?.streaming) throw notFound("The streaming locator's policy does not stream.");
  const manifestFile = asset.files.find((f) => f.name === `${ism}_manifest.json`);
  if (!manifestFile) throw notFound(`The asset has no encoded output named ${ism}.`);
  let manifest = manifests.get(manifestFile.sha256);
  if (!manifest) {
    manifest = parseEncodedAssetManifest((await assetFileContent({ assetId: asset.id, name: manifestFile.name }))!);
    manifests.set(manifestFile.sha256, manifest);
  }
  return {
    account,
    locator,
    assetId: asset.id,
    manifest,
    manifestSha256: manifestFile.sha256,
    encrypted: policy.keys.length > 0,
  };
}

/** The locator's envelope content key: its id and its 16 bytes, opened with the account key. */
async function contentKeyOf(p: Published): Promise<{ kid: string; key: Buffer }> {
  const kid = StoredContentKeys.parse(p.locator.contentKeys)[0]!.id;
  let key: Buffer | undefined;
  try {
    key = (await openSecretsOf(p.account.id, await accountKey(p.account), p.locator.id, "contentKey")).get(kid);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    if (err.code === "KeyVaultUnavailable")
      throw new OriginError(503, err.code, "The content cannot be served now; retry.", {
        "Retry-After": String(err.retryAfterSeconds ?? 10),
      });
    throw new OriginError(403, "CustomerKeyInaccessible", "The account's customer-managed key cannot be used now.");
  }
  if (!key) throw notFound("The streaming locator has no content key.");
  return { kid, key };
}

/** Players are sent to the key-delivery listener (scripts/key-delivery.ts), not the portal's route of the same path: it serves keys at several times the rate. */
const keyUri = (accountId: string, kid: string) =>
  `${getConfig().keyDelivery.publicUrl}/keydelivery/${accountId}?kid=${kid}`;

function multivariant(manifest: EncodedAssetManifest): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"];
  manifest.renditions.forEach((r, i) => {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${bandwidthOf(r)},RESOLUTION=${r.width}x${r.height},CODECS="${r.codecs}",FRAME-RATE=${r.frameRate.toFixed(3)}`,
      `r${i}/index.m3u8`,
    );
  });
  return `${lines.join("\n")}\n`;
}

/** ffmpeg's playlist with, before each segment, the key line and its IV (the segment's number, as the segment is encrypted). */
function withKeys(playlist: string, uri: string): string {
  let n = 0;
  return playlist.replace(
    /^#EXTINF:/gm,
    () => `#EXT-X-KEY:METHOD=AES-128,URI="${uri}",IV=0x${ivOf(n++).toString("hex")}\n#EXTINF:`,
  );
}

function ivOf(segment: number): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(segment, 12);
  return iv;
}

/** Whole-segment AES-128-CBC with PKCS#7 padding: HLS METHOD=AES-128. */
export function encryptSegment(clear: Buffer, key: Buffer, segment: number): Buffer {
  const cipher = createCipheriv("aes-128-cbc", key, ivOf(segment));
  return Buffer.concat([cipher.update(clear), cipher.final()]);
}

/** The body, or the one byte range asked for (206), or 416. */
function bodyResponse(request: Request, body: Buffer, headers: Record<string, string>): Response {
  const common = { ...streamingCorsHeaders, "Accept-Ranges": "bytes", ...headers };
  const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.get("range") ?? "");
  const head = request.method === "HEAD";
  if (!range || (!range[1] && !range[2]))
    return new Response(head ? null : new Uint8Array(body), {
      status: 200,
      headers: { ...common, "Content-Length": String(body.length) },
    });
  const size = body.length;
  const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
  const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
  if (start >= size || start > end)
    return new Response(null, { status: 416, headers: { ...common, "Content-Range": `bytes */${size}` } });
  const part = body.subarray(start, end + 1);
  return new Response(head ? null : new Uint8Array(part), {
    status: 206,
    headers: { ...common, "Content-Length": String(part.length), "Content-Range": `bytes ${start}-${end}/${size}` },
  });
}

const hlsFormat = /^manifest\((?:[^)]*,)?format=m3u8-(?:cmaf|aapl)(?:,[^)]*)?\)$/i;

async function serve(request: Request, endpointId: string, segments: string[]): Promise<Response> {
  const [locatorId, ismSegment, ...rest] = segments;
  const ids = Ids.safeParse({ endpointId, locatorId });
  const ism = /^(.+)\.ism$/i.exec(ismSegment ?? "")?.[1];
  if (!ids.success || !ism || !rest.length) throw notFound("Nothing is served at this path.");
  const p = await published(ids.data.endpointId.toLowerCase(), ids.data.locatorId.toLowerCase(), ism);
  const last = rest.join("/");
  if (rest.length === 1 && /^manifest\(/i.test(last)) {
    if (!hlsFormat.test(last))
      throw new OriginError(
        400,
        "FormatNotSupported",
        "Only HLS is served: ask for manifest(format=m3u8-cmaf) (DASH is not offered).",
      );
    return bodyResponse(request, Buffer.from(multivariant(p.manifest)), {
      "Content-Type": "application/vnd.apple.mpegurl",
      "Cache-Control": PLAYLIST_CACHE,
    });
  }
  const m = /^r(\d+)\/(?:(index\.m3u8)|seg_(\d+)\.ts)$/.exec(last);
  const rendition = m ? Number(m[1]) : -1;
  if (!m || rendition >= p.manifest.renditions.length) throw notFound("Nothing is served at this path.");
  const packaged = (await packagedRenditions({ id: p.assetId, manifestSha256: p.manifestSha256 }, p.manifest))[
    rendition
  ]!;
  const key = p.encrypted ? await contentKeyOf(p) : null;
  if (m[2]) {
    const playlist = key ? withKeys(packaged.playlist, keyUri(p.account.id, key.kid)) : packaged.playlist;
    return bodyResponse(request, Buffer.from(playlist), {
      "Content-Type": "application/vnd.apple.mpegurl",
      "Cache-Control": PLAYLIST_CACHE,
    });
  }
  const n = Number(m[3]);
  if (n >= packaged.segments) throw notFound("There is no such segment.");
  const clear = await readFile(path.join(packaged.dir, `seg_${n}.ts`));
  const body = key ? encryptSegment(clear, key.key, n) : clear;
  const etag = createHash("sha256")
    .update(`${p.manifestSha256}/${rendition}/${n}/${key?.kid ?? "clear"}`)
    .digest("base64url")
    .slice(0, 22);
  return bodyResponse(request, body, {
    "Content-Type": "video/mp2t",
    "Cache-Control": SEGMENT_CACHE,
    ETag: `"${etag}"`,
  });
}

/** Serves one request of a streaming endpoint's origin. */
export async function serveStreaming(request: Request, endpointId: string, segments: string[]): Promise<Response> {
  try {
    return await serve(request, endpointId, segments);
  } catch (err) {
    if (err instanceof OriginError) return errorResponse(err);
    throw err;
  }
}
