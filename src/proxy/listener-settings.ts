/**
 * The listener's PROXY protocol settings (SPEC §10): the configuration fields and their check,
 * done once at `Listener.start()`.
 *
 * @module
 */

import { Messages, TcpError, withCause } from "../core/errors.js";
import { secondsToMs } from "../core/units.js";
import type { ProxyAcceptVersion } from "./header.js";
import { compileTrustedProxies, type TrustedProxyMatcher } from "./trusted-proxies.js";

/** The PROXY protocol fields of `ListenerConfiguration`. */
export interface ProxyListenerOptions {
  /**
   * Every connection must start with a PROXY protocol header (sent by a load balancer such as
   * HAProxy or nginx, before the TLS handshake on a TLS listener): `true` accepts v1 and v2,
   * `"v1"` / `"v2"` only that one. The caller's addresses are then the header's.
   *
   * @default false
   */
  proxyProtocol?: boolean | "v1" | "v2";
  /**
   * Seconds within which the whole header must arrive; 0 = no limit.
   *
   * @default 5
   */
  proxyHeaderTimeout?: number;
  /**
   * The balancers allowed to connect: IP addresses and CIDR blocks, IPv4 and IPv6
   * (`["10.0.0.0/8", "::1"]`). A connection from any other peer is closed before a byte is
   * read. Checked at `start()` even without `proxyProtocol`, used only with it.
   *
   * @default any peer
   */
  trustedProxies?: readonly string[];
}

/** The checked settings the transport needs; times in ms. */
export interface ProxyAcceptSettings {
  readonly accept: ProxyAcceptVersion;
  /** 0 = no limit. */
  readonly headerTimeoutMs: number;
  /** `undefined`: any peer may send a header. */
  readonly trusted: TrustedProxyMatcher | undefined;
}

/**
 * Checks the PROXY protocol fields; `undefined` when the protocol is off.
 *
 * @throws TcpError `ERR_INVALID_ARGUMENT` (`Error initializing the server: <field and value>`).
 * @example
 * ```ts
 * prepareProxySettings({ proxyProtocol: "v2", trustedProxies: ["10.0.0.0/8"] })?.headerTimeoutMs; // 5000
 * ```
 */
export function prepareProxySettings(options: ProxyListenerOptions): ProxyAcceptSettings | undefined {
  try {
    const { proxyProtocol } = options;
    if (proxyProtocol !== undefined && typeof proxyProtocol !== "boolean" && proxyProtocol !== "v1" && proxyProtocol !== "v2") {
      throw new Error(`proxyProtocol must be true, false, "v1" or "v2", got ${JSON.stringify(proxyProtocol)}`);
    }
    const ms = secondsToMs(options.proxyHeaderTimeout, 5, "proxyHeaderTimeout");
    const trusted = options.trustedProxies === undefined ? undefined : compileTrustedProxies(options.trustedProxies);
    if (proxyProtocol === undefined || proxyProtocol === false) return undefined;
    return { accept: proxyProtocol, headerTimeoutMs: ms, trusted };
  } catch (error) {
    throw new TcpError(withCause(Messages.listenerInit, error), { code: "ERR_INVALID_ARGUMENT", cause: error });
  }
}
