import "server-only";
import { createHash } from "node:crypto";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { redactUrl } from "@/lib/urls";

/**
 * JobInputHttp: where the full URLs (SAS query strings included) come from, how they are shown
 * (never with their query string or credentials), and how a job downloads them: http(s) only,
 * size and time limits, and no loopback or private address unless the configuration allows it.
 */
export interface JobInputUrls {
  baseUri?: string;
  files: string[];
}

export class InvalidJobInput extends Error {
  override name = "InvalidJobInput";
  /** The input's field at fault: "baseUri" or "files.<index>". */
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

const directoryOf = (base: URL) => (base.pathname.endsWith("/") ? base.pathname : `${base.pathname}/`);

function fetchable(url: URL, field: string): URL {
  if (url.protocol !== "https:" && url.protocol !== "http:")
    throw new InvalidJobInput(`${redactUrl(url.href)}: only http and https inputs can be fetched.`, field);
  return url;
}

/**
 * Checks the path segments that a file adds: each must decode (percent-encoded UTF-8) to a name
 * without control characters, and, under a base URI, without an encoded "/" or "\" that a server
 * could decode into a way out of the base's directory.
 */
function checkSegments(shown: string, segments: string[], underBase: boolean, field: string): void {
  for (const segment of segments) {
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      throw new InvalidJobInput(`'${shown}': '${segment}' is not percent-encoded UTF-8, so it names no file.`, field);
    }
    if (/[\u0000-\u001f\u007f]/.test(name))
      throw new InvalidJobInput(`'${shown}': a file name may not contain control characters.`, field);
    if (underBase && /[/\\]/.test(name))
      throw new InvalidJobInput(`'${shown}': an encoded '/' or '\\' would lead outside the base URI.`, field);
  }
}

/**
 * The full URL of each file: the base URI's path joined with the file, the base's query kept.
 * A file must stay inside the base URI's directory, and every name must decode: what would fail
 * in the worker, or fetch something else than the owner named, is refused here, at creation.
 */
export function inputUrls({ baseUri, files }: JobInputUrls): URL[] {
  let base: URL | undefined;
  if (baseUri) {
    try {
      base = fetchable(new URL(baseUri), "baseUri");
    } catch (err) {
      if (err instanceof InvalidJobInput) throw err;
      throw new InvalidJobInput(`'${redactUrl(baseUri)}' is not a URL.`, "baseUri");
    }
  }
  return files.map((file, i) => {
    const field = `files.${i}`;
    const shown = redactUrl(file);
    let url: URL;
    try {
      url = new URL(file, base ? `${base.origin}${directoryOf(base)}` : undefined);
    } catch {
      throw new InvalidJobInput(`'${shown}' is not a URL (without baseUri, files must be full URLs).`, field);
    }
    // Stored for display with only its query string removed, a file's credentials would be in the clear.
    if (url.username || url.password)
      throw new InvalidJobInput(
        `'${shown}' carries credentials (user:password@): a file may not; give them in the baseUri, which is sealed.`,
        field,
      );
    if (!base) {
      checkSegments(shown, [url.pathname.split("/").pop()!], false, field);
      return fetchable(url, field);
    }
    const directory = directoryOf(base);
    if (url.origin !== base.origin || !url.pathname.startsWith(directory))
      throw new InvalidJobInput(`'${shown}' leads outside the base URI ${redactUrl(base.href)}.`, field);
    checkSegments(shown, url.pathname.slice(directory.length).split("/"), true, field);
    if (!url.search && base.search) url.search = base.search;
    url.username = base.username;
    url.password = base.password;
    return url;
  });
}

/** The name a downloaded file gets in its output assets: the URL's last path segment, decoded. */
export function inputFileName(url: URL, index: number): string {
  const segment = url.pathname.split("/").pop();
  return segment ? decodeURIComponent(segment) : `input-${index}`;
}

/** The input as responses show it: the same fields without any query string, fragment or credentials. */
export const redactedInput = ({ baseUri, files }: JobInputUrls): JobInputUrls => ({
  ...(baseUri ? { baseUri: redactUrl(baseUri) } : {}),
  files: files.map((f) => (baseUri ? redactedFile(f, redactUrl(baseUri)) : redactUrl(f))),
});

/**
 * A file under a base URI as shown: as given, without its query string and fragment; should it
 * carry credentials (refused at creation), however spelled, the URL it leads to without them.
 */
function redactedFile(file: string, shownBase: string): string {
  const url = URL.canParse(file, shownBase) ? new URL(file, shownBase) : undefined;
  return url && !url.username && !url.password ? file.replace(/[?#].*$/s, "") : redactUrl(url?.href ?? file);
}

/** Azure's JobError vocabulary: what failed, and whether trying again may help. */
export class JobInputError extends Error {
  override name = "JobInputError";
  constructor(
    readonly code: "DownloadNotAccessible" | "DownloadTransientError" | "ContentUnsupported",
    message: string,
    readonly retry: "DoNotRetry" | "MayRetry",
  ) {
    super(message);
  }
  get category() {
    return this.code === "ContentUnsupported" ? "Content" : "Download";
  }
}

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  allowPrivateNetworks: boolean;
}

const MAX_REDIRECTS = 5;

const cidrs = (...ranges: string[]) => ranges.map((range) => ipaddr.parseCIDR(range));

/**
 * IANA's IPv4 and IPv6 Special-Purpose Address Registries, and multicast. Ranges that IANA marks
 * globally reachable (AS112, AMT, PCP and TURN anycast, ORCHIDv2, DRIP) are refused as well: they
 * are DNS sinks, relays and identifiers, never a media file's server, so refusing them costs no
 * real input and leaves no exception inside a special-purpose block to get wrong.
 */
const SPECIAL_PURPOSE = {
  unspecified: cidrs("0.0.0.0/8", "::/128"),
  loopback: cidrs("127.0.0.0/8", "::1/128"),
  private: cidrs("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"),
  carrierGradeNat: cidrs("100.64.0.0/10"),
  linkLocal: cidrs("169.254.0.0/16", "fe80::/10"),
  multicast: cidrs("224.0.0.0/4", "ff00::/8"),
  broadcast: cidrs("255.255.255.255/32"),
  reserved: cidrs("240.0.0.0/4"),
  documentation: cidrs("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"),
  benchmarking: cidrs("198.18.0.0/15"),
  // Addresses that carry an IPv4 address or lead to a translator: what they reach is not what was checked.
  translation: cidrs("::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "192.88.99.0/24"),
  protocolAssignment: cidrs(
    "192.0.0.0/24",
    "2001::/23",
    "100::/64",
    "192.31.196.0/24",
    "192.52.193.0/24",
    "192.175.48.0/24",
    "2620:4f:8000::/48",
  ),
};
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

/** Why an address may not be fetched from, or null: only globally routable unicast addresses may, unless private networks are allowed (local profile). */
function refusedAddress(address: string, allowPrivate: boolean): string | null {
  if (allowPrivate) return null;
  const ip = ipaddr.parse(address);
  const range = ipaddr.subnetMatch(ip, SPECIAL_PURPOSE, "global");
  if (range !== "global") return range;
  return ip instanceof ipaddr.IPv6 && !ip.match(GLOBAL_UNICAST_V6) ? "non-global IPv6" : null;
}

/** Resolves names itself so that the address checked is the address connected to (no DNS rebinding). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const refused = addresses.map((a) => refusedAddress(a.address, allowPrivate)).find(Boolean);
      if (refused)
        return callback(
          Object.assign(new Error(`${hostname} resolves to a ${refused} address`), { code: "EADDRREFUSED" }),
          "",
          0,
        );
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function request(url: URL, limits: FetchLimits, signal: AbortSignal): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host)) {
    const refused = refusedAddress(host, limits.allowPrivateNetworks);
    if (refused)
      return Promise.reject(
        new JobInputError(
          "DownloadNotAccessible",
          `${redactUrl(url.href)} is a ${refused} address, which jobs may not fetch.`,
          "DoNotRetry",
        ),
      );
  }
  const get = url.protocol === "https:" ? https.get : http.get;
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      { signal, lookup: guardedLookup(limits.allowPrivateNetworks), headers: { "user-agent": "byok-media-job/1" } },
      resolve,
    );
    req.on("error", reject);
  });
}

function failure(err: unknown, shown: string, timeoutMs: number, timedOut: boolean): JobInputError {
  if (err instanceof JobInputError) return err;
  const e = err as Error & { code?: string };
  // An abort surfaces as AbortError, or as a reset of the half-read body.
  if (timedOut)
    return new JobInputError(
      "DownloadTransientError",
      `${shown}: no complete answer within ${timeoutMs / 1000} s.`,
      "MayRetry",
    );
  if (e.code === "EADDRREFUSED")
    return new JobInputError(
      "DownloadNotAccessible",
      `${shown}: ${e.message}, which jobs may not fetch.`,
      "DoNotRetry",
    );
  const transient = ["ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "EPIPE"].includes(e.code ?? "");
  return new JobInputError(
    transient ? "DownloadTransientError" : "DownloadNotAccessible",
    `${shown}: ${e.code ?? e.message}.`,
    transient ? "MayRetry" : "DoNotRetry",
  );
}

export interface Downloaded {
  content: Buffer;
  size: number;
  sha256: string;
}

/** Downloads one input file within the limits, reporting progress as bytes arrive; `cancel` stops it. */
export async function downloadInput(
  url: URL,
  limits: FetchLimits,
  onProgress: (received: number, total: number | null) => void,
  cancel?: AbortSignal,
): Promise<Downloaded> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = cancel ? AbortSignal.any([timeout, cancel]) : timeout;
  let shown = redactUrl(url.href);
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await request(current, limits, signal);
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (hop === MAX_REDIRECTS)
          throw new JobInputError(
            "DownloadNotAccessible",
            `${shown}: more than ${MAX_REDIRECTS} redirects.`,
            "DoNotRetry",
          );
        current = new URL(res.headers.location, current);
        shown = redactUrl(current.href);
        if (current.protocol !== "https:" && current.protocol !== "http:")
          throw new JobInputError("DownloadNotAccessible", `${shown}: a redirect left http(s).`, "DoNotRetry");
        continue;
      }
      if (status < 200 || status >= 300) {
        res.resume();
        const transient = status === 429 || status >= 500;
        throw new JobInputError(
          transient ? "DownloadTransientError" : "DownloadNotAccessible",
          `${shown} answered HTTP ${status}.`,
          transient ? "MayRetry" : "DoNotRetry",
        );
      }
      const declared = Number(res.headers["content-length"] ?? NaN);
      const total = Number.isFinite(declared) ? declared : null;
      const tooBig = () =>
        new JobInputError(
          "ContentUnsupported",
          `${shown} is larger than the ${limits.maxBytes}-byte limit of a job input.`,
          "DoNotRetry",
        );
      if (total !== null && total > limits.maxBytes) {
        res.destroy();
        throw tooBig();
      }
      const hash = createHash("sha256");
      const chunks: Buffer[] = [];
      let received = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > limits.maxBytes) {
          res.destroy();
          throw tooBig();
        }
        hash.update(chunk);
        chunks.push(chunk);
        onProgress(received, total);
      }
      return { content: Buffer.concat(chunks), size: received, sha256: hash.digest("hex") };
    }
  } catch (err) {
    throw failure(err, shown, limits.timeoutMs, timeout.aborted);
  }
}
