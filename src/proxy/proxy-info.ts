/**
 * What the PROXY protocol header said about an accepted socket, kept beside the socket (as
 * the TLS facts are) so that the `Caller` can show it without the connection carrying it.
 *
 * @module
 */

import type { Socket } from "node:net";
import type { ProxyInfo } from "./header.js";

const infos = new WeakMap<Socket, ProxyInfo>();

/** Records the header `socket` was accepted with (the socket the service will be given). */
export function setProxyInfo(socket: Socket, info: ProxyInfo): void {
  infos.set(socket, info);
}

/** The header `socket` was accepted with; `undefined` on a listener without `proxyProtocol`. */
export function proxyInfoOf(socket: Socket): ProxyInfo | undefined {
  return infos.get(socket);
}
