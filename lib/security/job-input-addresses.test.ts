/**
 * Attack: a JobInputHttp URL (or a redirect, or a DNS answer) that points the worker at an address
 * that is not a server on the public Internet: loopback, private networks, the cloud metadata
 * service, or one of the special-purpose ranges that IANA lists (NAT64 and 6to4 prefixes that embed
 * a private IPv4 address, IPv6 outside global unicast, ...). Jobs fetch from globally routable
 * unicast addresses only. Each row goes through downloadInput, the worker's own path, with the
 * download cancelled in advance so that an allowed address is never really connected to.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { downloadInput, JobInputError } from "@/lib/media/job-input";

const strict = { maxBytes: 1000, timeoutMs: 5000, allowPrivateNetworks: false };

/** IANA IPv4 and IPv6 Special-Purpose Address Registries, and multicast: [range, its first address, its last address]. */
const special: [string, string, string][] = [
  ["0.0.0.0/8 this network", "0.0.0.0", "0.255.255.255"],
  ["10.0.0.0/8 private", "10.0.0.0", "10.255.255.255"],
  ["100.64.0.0/10 shared address space", "100.64.0.0", "100.127.255.255"],
  ["127.0.0.0/8 loopback", "127.0.0.0", "127.255.255.255"],
  ["169.254.0.0/16 link-local (cloud metadata)", "169.254.0.0", "169.254.255.255"],
  ["172.16.0.0/12 private", "172.16.0.0", "172.31.255.255"],
  ["192.0.0.0/24 IETF protocol assignments", "192.0.0.0", "192.0.0.255"],
  ["192.0.0.0/29 DS-Lite", "192.0.0.0", "192.0.0.7"],
  ["192.0.0.8/32 IPv4 dummy", "192.0.0.8", "192.0.0.8"],
  ["192.0.0.9/32 PCP anycast", "192.0.0.9", "192.0.0.9"],
  ["192.0.0.10/32 TURN anycast", "192.0.0.10", "192.0.0.10"],
  ["192.0.0.170/32 NAT64/DNS64 discovery", "192.0.0.170", "192.0.0.171"],
  ["192.0.2.0/24 TEST-NET-1", "192.0.2.0", "192.0.2.255"],
  ["192.31.196.0/24 AS112-v4", "192.31.196.0", "192.31.196.255"],
  ["192.52.193.0/24 AMT", "192.52.193.0", "192.52.193.255"],
  ["192.88.99.0/24 deprecated 6to4 relay anycast", "192.88.99.0", "192.88.99.255"],
  ["192.168.0.0/16 private", "192.168.0.0", "192.168.255.255"],
  ["192.175.48.0/24 AS112 direct delegation", "192.175.48.0", "192.175.48.255"],
  ["198.18.0.0/15 benchmarking", "198.18.0.0", "198.19.255.255"],
  ["198.51.100.0/24 TEST-NET-2", "198.51.100.0", "198.51.100.255"],
  ["203.0.113.0/24 TEST-NET-3", "203.0.113.0", "203.0.113.255"],
  ["224.0.0.0/4 multicast", "224.0.0.0", "239.255.255.255"],
  ["240.0.0.0/4 reserved", "240.0.0.0", "255.255.255.254"],
  ["255.255.255.255/32 limited broadcast", "255.255.255.255", "255.255.255.255"],
  ["::/128 unspecified", "::", "::"],
  ["::1/128 loopback", "::1", "::1"],
  ["::ffff:0:0/96 IPv4-mapped (a private IPv4)", "::ffff:10.0.0.1", "::ffff:192.168.255.255"],
  [
    "::ffff:0:0/96 IPv4-mapped (even a public IPv4: ask for the IPv4 address itself)",
    "::ffff:8.8.8.8",
    "::ffff:255.255.255.255",
  ],
  ["::/96 IPv4-compatible (deprecated)", "::10.0.0.1", "::8.8.8.8"],
  ["64:ff9b::/96 NAT64 well-known prefix", "64:ff9b::a9fe:a9fe", "64:ff9b::ffff:ffff"],
  ["64:ff9b:1::/48 local-use NAT64", "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"],
  ["100::/64 discard-only", "100::", "100::ffff:ffff:ffff:ffff"],
  ["2001::/23 IETF protocol assignments", "2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["2001::/32 Teredo", "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["2001:1::1/128 PCP anycast", "2001:1::1", "2001:1::3"],
  ["2001:2::/48 benchmarking", "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff"],
  ["2001:3::/32 AMT", "2001:3::", "2001:3:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["2001:4:112::/48 AS112-v6", "2001:4:112::", "2001:4:112:ffff:ffff:ffff:ffff:ffff"],
  ["2001:10::/28 deprecated ORCHID", "2001:10::", "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["2001:20::/28 ORCHIDv2", "2001:20::", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["2001:30::/28 DRIP", "2001:30::", "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["2001:db8::/32 documentation", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["2002::/16 6to4 (embedding a private or a public IPv4)", "2002:a00:1::", "2002:808:808::"],
  ["2620:4f:8000::/48 AS112 direct delegation", "2620:4f:8000::", "2620:4f:8000:ffff:ffff:ffff:ffff:ffff"],
  ["3fff::/20 documentation", "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["5f00::/16 segment routing SIDs", "5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["fc00::/7 unique local", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["fe80::/10 link-local", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["fec0::/10 deprecated site-local", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["ff00::/8 multicast", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["below 2000::/3: not global unicast", "1::1", "1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ["above 2000::/3: not global unicast", "4000::", "e000::1"],
];

/** Public IPv4 and global unicast IPv6 (2000::/3) outside every special-purpose range, many of them a range's neighbours. */
const global: string[] = [
  "1.1.1.1",
  "8.8.8.8",
  "1.0.0.0",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "169.255.0.0",
  "172.15.255.255",
  "172.32.0.0",
  "192.0.1.0",
  "192.0.3.0",
  "192.31.195.255",
  "192.31.197.0",
  "192.52.192.255",
  "192.52.194.0",
  "192.88.98.255",
  "192.88.100.0",
  "192.167.255.255",
  "192.169.0.0",
  "192.175.47.255",
  "192.175.49.0",
  "198.17.255.255",
  "198.20.0.0",
  "198.51.99.255",
  "198.51.101.0",
  "203.0.112.255",
  "203.0.114.0",
  "223.255.255.255",
  "2001:200::",
  "2001:4860:4860::8888",
  "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
  "2001:db9::",
  "2003::",
  "2606:4700:4700::1111",
  "2620:4f:7fff:ffff:ffff:ffff:ffff:ffff",
  "2620:4f:8001::",
  "2a00:1450:4001:81c::200e",
  "3fff:1000::",
];

const url = (address: string) => new URL(`http://${address.includes(":") ? `[${address}]` : address}/input.mp4`);
/** Downloads with the worker's own guard, cancelled before anything is sent: the error says whether the guard refused. */
const attempt = async (address: string) => {
  const cancelled = AbortSignal.abort();
  try {
    await downloadInput(url(address), strict, () => {}, cancelled);
    return "downloaded";
  } catch (err) {
    assert.ok(err instanceof JobInputError, String(err));
    return /which jobs may not fetch/.test(err.message) ? "refused" : "allowed";
  }
};

describe("attack: a job input at a special-purpose address", () => {
  for (const [range, first, last] of special) {
    it(`refuses ${range} (${first} … ${last})`, async () => {
      assert.deepEqual([await attempt(first), await attempt(last)], ["refused", "refused"]);
    });
  }

  it("still fetches from globally routable unicast addresses, including the neighbours of every refused range", async () => {
    const refused = [];
    for (const address of global) if ((await attempt(address)) !== "allowed") refused.push(address);
    assert.deepEqual(refused, []);
  });

  it("keeps JOB_INPUT_ALLOW_PRIVATE_NETWORKS for the local profile: loopback and private addresses pass when allowed", async () => {
    for (const address of ["127.0.0.1", "::1", "10.0.0.1", "192.168.1.1"]) {
      const err = await downloadInput(
        url(address),
        { ...strict, allowPrivateNetworks: true },
        () => {},
        AbortSignal.abort(),
      ).catch((e: Error) => e);
      assert.ok(err instanceof JobInputError && !/may not fetch/.test(err.message), `${address}: ${String(err)}`);
    }
  });
});
