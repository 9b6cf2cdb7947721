/**
 * Writes a PROXY protocol header (v1 text or v2 binary, command PROXY) for a client that
 * speaks for another one: a proxy written with tcpkit, or a test.
 *
 * @module
 */

import { TcpError } from "../core/errors.js";
import type { ProxyAddress, ProxyVersion } from "./header.js";
import { formatIPv6, parseIPv4, parseIPv6 } from "./ip-address.js";
import { V2_FIXED_LENGTH, V2_SIGNATURE } from "./header-parser.js";

/** What {@link encodeProxyHeader} writes: the version and the two endpoints, both IPv4 or both IPv6. */
export interface ProxyHeaderOptions {
  /** 1 (text) or 2 (binary). */
  version: ProxyVersion;
  /** The client the header speaks for. */
  source: ProxyAddress;
  /** The address the client connected to. */
  destination: ProxyAddress;
}

/**
 * The bytes of a PROXY protocol header: v1 `TCP4`/`TCP6`, or v2 command PROXY with family
 * INET/INET6 and transport STREAM, by the addresses' family. IPv6 is written in canonical form.
 *
 * @throws TcpError `ERR_INVALID_ARGUMENT` for a bad version, host (not an IP literal) or port,
 *   or endpoints of different families.
 * @example
 * ```ts
 * encodeProxyHeader({ version: 1, source: { host: "192.0.2.1", port: 56324 }, destination: { host: "192.0.2.11", port: 443 } })
 *   .toString(); // "PROXY TCP4 192.0.2.1 192.0.2.11 56324 443\r\n"
 * ```
 */
export function encodeProxyHeader(options: ProxyHeaderOptions): Buffer {
  if (typeof options !== "object" || options === null) invalid("proxyHeader must be an object");
  const { version, source, destination } = options;
  if (version !== 1 && version !== 2) invalid(`proxyHeader.version must be 1 or 2, got ${String(version)}`);
  const from = endpoint(source, "source");
  const to = endpoint(destination, "destination");
  if (from.bytes.length !== to.bytes.length) {
    invalid("proxyHeader.source and proxyHeader.destination must both be IPv4 or both be IPv6");
  }
  const ipv6 = from.bytes.length === 16;
  if (version === 1) {
    const host = (e: Endpoint): string => (ipv6 ? formatIPv6(e.bytes) : e.host);
    return Buffer.from(`PROXY TCP${ipv6 ? 6 : 4} ${host(from)} ${host(to)} ${from.port} ${to.port}\r\n`, "latin1");
  }
  const addressLength = ipv6 ? 36 : 12;
  const out = Buffer.alloc(V2_FIXED_LENGTH + addressLength);
  out.set(V2_SIGNATURE, 0);
  out[12] = 0x21; // version 2, command PROXY
  out[13] = ipv6 ? 0x21 : 0x11; // INET6 or INET, STREAM
  out.writeUInt16BE(addressLength, 14);
  out.set(from.bytes, 16);
  out.set(to.bytes, 16 + from.bytes.length);
  out.writeUInt16BE(from.port, 16 + 2 * from.bytes.length);
  out.writeUInt16BE(to.port, 18 + 2 * from.bytes.length);
  return out;
}

interface Endpoint {
  host: string;
  bytes: Uint8Array;
  port: number;
}

function endpoint(value: ProxyAddress, name: string): Endpoint {
  if (typeof value !== "object" || value === null) invalid(`proxyHeader.${name} must be an object with host and port`);
  const { host, port } = value;
  const bytes = typeof host === "string" ? (parseIPv4(host) ?? parseIPv6(host)) : undefined;
  if (bytes === undefined) invalid(`proxyHeader.${name}.host must be an IP address, got ${JSON.stringify(host)}`);
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    invalid(`proxyHeader.${name}.port must be an integer from 0 to 65535, got ${String(port)}`);
  }
  return { host, bytes, port };
}

function invalid(message: string): never {
  throw new TcpError(message, { code: "ERR_INVALID_ARGUMENT" });
}
