/**
 * The errors of the PROXY protocol (SPEC §10). All carry the code `ERR_PROXY_PROTOCOL`,
 * so a service's `onError` can tell them from other failures without reading messages.
 *
 * @module
 */

import { TcpError } from "../core/errors.js";

/** The messages of the PROXY protocol errors; the reason follows `invalidHeader` after `: `. */
export const ProxyMessages = {
  invalidHeader: "Invalid PROXY protocol header",
  timedOut: "PROXY protocol header timed out",
  untrusted: "Connection from an untrusted proxy",
} as const;

/**
 * The error for bytes that are not a valid PROXY protocol header of an accepted version.
 *
 * @param reason Short and specific, e.g. `"bad v2 signature"`.
 * @example
 * ```ts
 * invalidProxyHeader("line longer than 107 bytes").message;
 * // "Invalid PROXY protocol header: line longer than 107 bytes"
 * ```
 */
export function invalidProxyHeader(reason: string): TcpError {
  return new TcpError(`${ProxyMessages.invalidHeader}: ${reason}`, { code: "ERR_PROXY_PROTOCOL" });
}

/**
 * The error for a header that did not arrive whole within `proxyHeaderTimeout`.
 *
 * @example
 * ```ts
 * proxyHeaderTimedOut().message; // "PROXY protocol header timed out"
 * ```
 */
export function proxyHeaderTimedOut(): TcpError {
  return new TcpError(ProxyMessages.timedOut, { code: "ERR_PROXY_PROTOCOL" });
}

/**
 * The error for a connection whose peer is not in `trustedProxies`.
 *
 * @param ip The socket peer's address, as the socket reports it.
 * @example
 * ```ts
 * untrustedProxy("203.0.113.9").message; // "Connection from an untrusted proxy: 203.0.113.9"
 * ```
 */
export function untrustedProxy(ip: string): TcpError {
  return new TcpError(`${ProxyMessages.untrusted}: ${ip}`, { code: "ERR_PROXY_PROTOCOL" });
}
