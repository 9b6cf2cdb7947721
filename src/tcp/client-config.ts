/**
 * Every field of a `ClientConfiguration`, checked in one place before a
 * socket is made, and turned into the settings the client runs with.
 *
 * @module
 */
import { positiveInteger, secondsToMs } from "../core/units.js";
import type { ClientConfiguration } from "./client.js";

const MiB = 1024 * 1024;

/** A checked `ClientConfiguration`; times in ms (0 = no limit). */
export interface ClientSettings {
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly keepAliveMs: number | false;
  readonly highWaterMark: number;
  readonly maxPendingReads: number;
  readonly maxQueuedWriteBytes: number;
}

/** Checks `config`; throws a `TcpError` (`ERR_INVALID_ARGUMENT`) naming the first bad field. */
export function checkClientConfiguration(config: ClientConfiguration): ClientSettings {
  const keepAlive = config.keepAlive;
  return {
    readTimeoutMs: secondsToMs(config.timeout, 300, "timeout"),
    writeTimeoutMs: secondsToMs(config.writeTimeout, 300, "writeTimeout"),
    connectTimeoutMs: secondsToMs(config.connectTimeout, 30, "connectTimeout"),
    keepAliveMs: keepAlive === undefined || keepAlive === false ? false : secondsToMs(keepAlive, 0, "keepAlive"),
    highWaterMark: positiveInteger(config.highWaterMark, MiB, "highWaterMark"),
    maxPendingReads: positiveInteger(config.maxPendingReads, 1024, "maxPendingReads"),
    maxQueuedWriteBytes: positiveInteger(config.maxQueuedWriteBytes, 64 * MiB, "maxQueuedWriteBytes"),
  };
}
