/**
 * The `trustedProxies` setting compiled once into a matcher the listener asks per connection.
 *
 * Every address is compared as IPv6: an IPv4 address or rule stands for its IPv4-mapped form
 * (`::ffff:a.b.c.d`), so `"127.0.0.1"` matches a peer reported as `::ffff:127.0.0.1` on a
 * dual-stack socket, and `"::/0"` matches every peer.
 *
 * @module
 */

import { TcpError } from "../core/errors.js";
import { parseIPv4, parseIPv6 } from "./ip-address.js";

/** Tells whether a socket peer's address is a trusted proxy. */
export type TrustedProxyMatcher = (ip: string) => boolean;

interface Rule {
  /** Sixteen bytes, IPv4 mapped. */
  bytes: Uint8Array;
  /** Leading bits that must match, 0..128. */
  prefix: number;
}

/**
 * Compiles IP addresses and CIDR blocks (`"10.0.0.0/8"`, `"::1"`, `"2001:db8::/32"`) into a
 * matcher. Host bits past the prefix are ignored (`"10.1.2.3/8"` is `"10.0.0.0/8"`). An empty
 * list trusts no one.
 *
 * @throws TcpError `ERR_INVALID_ARGUMENT` naming the first entry that is not an address or block.
 * @example
 * ```ts
 * const trusted = compileTrustedProxies(["10.0.0.0/8", "::1"]);
 * trusted("10.1.2.3"); // true
 * trusted("::ffff:10.1.2.3"); // true
 * trusted("192.0.2.1"); // false
 * ```
 */
export function compileTrustedProxies(entries: readonly string[]): TrustedProxyMatcher {
  if (!Array.isArray(entries)) {
    throw new TcpError("trustedProxies must be an array of IP addresses or CIDR blocks", { code: "ERR_INVALID_ARGUMENT" });
  }
  const rules = entries.map(compileRule);
  return (ip: string): boolean => {
    const bytes = typeof ip === "string" ? toMapped(ip.replace(/%.*$/s, "")) : undefined;
    return bytes !== undefined && rules.some((rule) => matches(rule, bytes));
  };
}

function compileRule(entry: unknown): Rule {
  if (typeof entry === "string") {
    const slash = entry.indexOf("/");
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const ipv4 = parseIPv4(address) !== undefined;
    const bytes = toMapped(address);
    const max = ipv4 ? 32 : 128;
    const prefix = slash === -1 ? max : bits(entry.slice(slash + 1), max);
    if (bytes !== undefined && prefix !== undefined) return { bytes, prefix: ipv4 ? prefix + 96 : prefix };
  }
  throw new TcpError(`trustedProxies: ${JSON.stringify(entry)} is not an IP address or CIDR block`, { code: "ERR_INVALID_ARGUMENT" });
}

/** A prefix length 0..max in plain decimal, or `undefined`. */
function bits(text: string, max: number): number | undefined {
  if (!/^(?:0|[1-9][0-9]{0,2})$/.test(text)) return undefined;
  const n = Number(text);
  return n <= max ? n : undefined;
}

/** Sixteen bytes of an IPv6 literal, or of an IPv4 one as `::ffff:a.b.c.d`. */
function toMapped(text: string): Uint8Array | undefined {
  const v4 = parseIPv4(text);
  if (v4 === undefined) return parseIPv6(text);
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(v4, 12);
  return out;
}

function matches(rule: Rule, bytes: Uint8Array): boolean {
  const whole = rule.prefix >> 3;
  for (let i = 0; i < whole; i++) if (bytes[i] !== rule.bytes[i]) return false;
  const spare = rule.prefix & 7;
  if (spare === 0) return true;
  const mask = (0xff << (8 - spare)) & 0xff;
  return ((bytes[whole]! ^ rule.bytes[whole]!) & mask) === 0;
}
