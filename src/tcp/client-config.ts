/**
 * The arguments of `Client.connect` and every field of its
 * `ClientConfiguration`, checked in one place before a socket is made, and
 * turned into the settings the client runs with.
 *
 * @module
 */
import { checkFlag, checkHost, checkObject, checkOptionalHost, checkPort, checkSignal } from "../core/arguments.js";
import { invalidArgument, positiveInteger, secondsToMs } from "../core/units.js";
import { encodeProxyHeader } from "../proxy/header-encoder.js";
import type { ClientSecureSocket } from "../tls/secure-socket.js";
import type { ProxyHeaderOptions } from "../proxy/header-encoder.js";

const MiB = 1024 * 1024;

/** Configuration of {@link Client.connect}. Times are in seconds; 0 means no limit. */
export interface ClientConfiguration {
  /** Local interface (host name or IP) to bind before connecting. */
  localHost?: string;
  /** Read time-out in seconds. @default 300 */
  timeout?: number;
  /** Write time-out in seconds: a write that makes no progress for this long fails. @default 300 */
  writeTimeout?: number;
  /** Connect time-out in seconds (including the TLS handshake). @default 30 */
  connectTimeout?: number;
  /** Disable Nagle's algorithm. @default true */
  noDelay?: boolean;
  /** TCP keep-alive: `false`, or the idle seconds before the first probe. @default false */
  keepAlive?: false | number;
  /** TLS (and mutual TLS) settings; without them the connection is plain TCP. */
  secureSocket?: ClientSecureSocket;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
  /** Bytes buffered before the socket stops reading while no read is waiting. @default 1 MiB */
  highWaterMark?: number;
  /** Reads that may wait at once. @default 1024 */
  maxPendingReads?: number;
  /** Unsent bytes beyond which a further write is refused. @default 64 MiB */
  maxQueuedWriteBytes?: number;
  /**
   * A PROXY protocol header (v1 or v2) sent first, before the TLS handshake: for a proxy that
   * speaks for its own clients to a listener with `proxyProtocol`, and for tests.
   *
   * @example
   * ```ts
   * { proxyHeader: { version: 2, source: { host: "192.0.2.1", port: 56324 }, destination: { host: "192.0.2.11", port: 443 } } }
   * ```
   */
  proxyHeader?: ProxyHeaderOptions;
}


/** Checked `Client.connect` arguments; times in ms (0 = no limit). */
export interface ClientSettings {
  readonly host: string;
  readonly port: number;
  readonly localHost: string | undefined;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly noDelay: boolean;
  readonly keepAliveMs: number | false;
  readonly signal: AbortSignal | undefined;
  readonly secureSocket: ClientSecureSocket | undefined;
  readonly highWaterMark: number;
  readonly maxPendingReads: number;
  readonly maxQueuedWriteBytes: number;
  /** The PROXY protocol header to send first, encoded. */
  readonly proxyHeader: Buffer | undefined;
}

/** Checks the arguments; throws a `TcpError` (`ERR_INVALID_ARGUMENT`) naming the first bad one. */
export function checkConnectArguments(host: unknown, port: unknown, configuration: ClientConfiguration | undefined): ClientSettings {
  const config = checkObject(configuration, "config");
  const keepAlive: unknown = config.keepAlive;
  const secureSocket: unknown = config.secureSocket;
  if (secureSocket !== undefined && (secureSocket === null || typeof secureSocket !== "object")) {
    throw invalidArgument("secureSocket", "an object", secureSocket);
  }
  if (typeof keepAlive !== "number" && keepAlive !== undefined && keepAlive !== false) {
    throw invalidArgument("keepAlive", "false or a number of seconds >= 0", keepAlive);
  }
  return {
    host: checkHost(host, "host"),
    port: checkPort(port, "port", 1),
    localHost: checkOptionalHost(config.localHost, "localHost"),
    readTimeoutMs: secondsToMs(config.timeout, 300, "timeout"),
    writeTimeoutMs: secondsToMs(config.writeTimeout, 300, "writeTimeout"),
    connectTimeoutMs: secondsToMs(config.connectTimeout, 30, "connectTimeout"),
    noDelay: checkFlag(config.noDelay, "noDelay") ?? true,
    keepAliveMs: keepAlive === undefined || keepAlive === false ? false : secondsToMs(keepAlive, 0, "keepAlive"),
    signal: checkSignal(config.signal, "signal"),
    secureSocket: secureSocket as ClientSecureSocket | undefined,
    highWaterMark: positiveInteger(config.highWaterMark, MiB, "highWaterMark"),
    maxPendingReads: positiveInteger(config.maxPendingReads, 1024, "maxPendingReads"),
    maxQueuedWriteBytes: positiveInteger(config.maxQueuedWriteBytes, 64 * MiB, "maxQueuedWriteBytes"),
    proxyHeader: config.proxyHeader === undefined ? undefined : encodeProxyHeader(config.proxyHeader),
  };
}
