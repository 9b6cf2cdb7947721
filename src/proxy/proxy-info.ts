/**
 * What the PROXY protocol header said about an accepted socket, kept on the socket (as the
 * connection that drives it is) so that the `Caller` can show it without the connection
 * carrying it.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { ProxyInfo } from "./header.js";

/*
 * A symbol-keyed property, not a WeakMap: a WeakMap entry per connection showed in churn
 * profiles (about 5 µs a connection, and more GC work for its ephemerons).
 */
const PROXY_INFO = Symbol("tcpkit.proxyInfo");
type ProxiedSocket = Socket & { [PROXY_INFO]?: ProxyInfo };

/** Records the header `socket` was accepted with (the socket the service will be given). */
export function setProxyInfo(socket: Socket, info: ProxyInfo): void {
  (socket as ProxiedSocket)[PROXY_INFO] = info;
}

/** The header `socket` was accepted with; `undefined` on a listener without `proxyProtocol`. */
export function proxyInfoOf(socket: Socket): ProxyInfo | undefined {
  return (socket as ProxiedSocket)[PROXY_INFO];
}
