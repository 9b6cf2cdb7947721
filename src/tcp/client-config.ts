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
import type { ClientConfiguration } from "./client.js";

const MiB = 1024 * 1024;

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
