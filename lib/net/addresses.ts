/**
 * IP addresses and CIDR ranges as allow lists and trusted-proxy lists name them. Pure: the
 * configuration, the REST API's input schemas and key delivery share it.
 */
import ipaddr from "ipaddr.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** An address, with IPv4-mapped IPv6 (::ffff:127.0.0.2, as dual-stack sockets report IPv4 peers) as IPv4; null if it is none. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  try {
    return ipaddr.process(text.trim());
  } catch {
    return null;
  }
}

/** An address ("203.0.113.7", a /32 or /128) or a CIDR range ("203.0.113.0/24"); null if it is neither. */
export function parseRange(text: string): Range | null {
  const entry = text.trim();
  if (entry.includes("/")) {
    try {
      const [address, bits] = ipaddr.parseCIDR(entry);
      const v4 = address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress();
      return v4 ? [(address as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)] : [address, bits];
    } catch {
      return null;
    }
  }
  const address = parseAddress(entry);
  return address ? [address, address.kind() === "ipv4" ? 32 : 128] : null;
}

/** Whether `address` is in one of the ranges (unparsable entries match nothing). */
export function inRanges(address: string, ranges: readonly string[]): boolean {
  const parsed = parseAddress(address);
  if (!parsed) return false;
  return ranges.some((text) => {
    const range = parseRange(text);
    return range !== null && range[0].kind() === parsed.kind() && parsed.match(range);
  });
}
