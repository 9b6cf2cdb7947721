/**
 * The shape of a PROXY protocol header (HAProxy's `proxy-protocol.txt`, v1 text and v2 binary),
 * as the parser returns it and as `caller.proxy` shows it (SPEC §10).
 *
 * @module
 */

/** A host (an IP address literal) and a port. */
export interface ProxyAddress {
  /** IPv4 dotted quad or IPv6 in canonical form (as `net.Socket#remoteAddress` gives it). */
  host: string;
  /** 0..65535. */
  port: number;
}

/** The PROXY protocol versions: 1 is the text line, 2 the binary header. */
export type ProxyVersion = 1 | 2;

/**
 * Which versions a listener accepts: `true` either (told apart by the first byte), or only one.
 *
 * @default true
 */
export type ProxyAcceptVersion = true | "v1" | "v2";

/** `PROXY`: the header speaks for a client. `LOCAL` (v2 only): the proxy's own connection, e.g. a health check. */
export type ProxyCommand = "PROXY" | "LOCAL";

/** A v2 Type-Length-Value field, kept as received. */
export interface ProxyTlv {
  /** The type byte, e.g. {@link ProxyTlvType.ALPN}. */
  type: number;
  /** The value bytes (a copy: it holds no socket buffer alive). */
  value: Uint8Array;
}

/** The registered v2 TLV types (HAProxy's `PP2_TYPE_*`). Others are kept too, undecoded. */
export const ProxyTlvType = {
  ALPN: 0x01,
  AUTHORITY: 0x02,
  CRC32C: 0x03,
  NOOP: 0x04,
  UNIQUE_ID: 0x05,
  SSL: 0x20,
  NETNS: 0x30,
} as const;

/**
 * A parsed PROXY protocol header.
 *
 * `source` and `destination` are present only when the header carries usable addresses:
 * v1 `TCP4`/`TCP6`, or v2 command `PROXY` with family INET/INET6. For v1 `UNKNOWN`, v2 `LOCAL`
 * and v2 families UNSPEC/UNIX they are absent, and the listener uses the socket's own addresses.
 *
 * @example
 * ```ts
 * const header: ProxyHeader = {
 *   version: 1, command: "PROXY", tlvs: [],
 *   source: { host: "192.0.2.1", port: 56324 }, destination: { host: "192.0.2.11", port: 443 },
 * };
 * ```
 */
export interface ProxyHeader {
  version: ProxyVersion;
  command: ProxyCommand;
  /** The client as the proxy saw it. */
  source?: ProxyAddress;
  /** The address the client connected to, on the proxy. */
  destination?: ProxyAddress;
  /** Every v2 TLV in order of arrival; always empty for v1 and for v2 `LOCAL`. */
  tlvs: ProxyTlv[];
  /** The first ALPN TLV (0x01), decoded as UTF-8. */
  alpn?: string;
  /** The first AUTHORITY TLV (0x02, the TLS SNI host), decoded as UTF-8. */
  authority?: string;
}

/** What `caller.proxy` holds: the header plus the proxy's own address (the socket peer). */
export type ProxyInfo = ProxyHeader & {
  /** The socket peer: the proxy that sent the header. */
  via: ProxyAddress;
};
