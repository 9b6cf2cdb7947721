/**
 * The pure parts of PROXY protocol support (SPEC §10): header types, parser, encoder, the
 * trusted-proxy matcher and the errors. The listener and client wire them to sockets.
 *
 * @module
 */

export type { ProxyAcceptVersion, ProxyAddress, ProxyCommand, ProxyHeader, ProxyInfo, ProxyTlv, ProxyVersion } from "./header.js";
export { ProxyTlvType } from "./header.js";
export type { ProxyHeaderParserOptions, ProxyParseResult } from "./header-parser.js";
export { ProxyHeaderParser, V1_MAX_LENGTH, V2_MAX_LENGTH } from "./header-parser.js";
export type { ProxyHeaderOptions } from "./header-encoder.js";
export { encodeProxyHeader } from "./header-encoder.js";
export type { TrustedProxyMatcher } from "./trusted-proxies.js";
export { compileTrustedProxies } from "./trusted-proxies.js";
export { ProxyMessages, invalidProxyHeader, proxyHeaderTimedOut, untrustedProxy } from "./proxy-errors.js";
