/**
 * Numbers a user gives: ports and time values in seconds.
 *
 * @module
 */
import { TcpError } from "./errors.js";

/** Whether `port` is an integer in `min..65535`. */
export function isValidPort(port: unknown, min: number): port is number {
  return typeof port === "number" && Number.isInteger(port) && port >= min && port <= 65535;
}

/** Seconds as Ballerina takes them (decimals allowed, 0 = no limit) to milliseconds. */
export function secondsToMs(seconds: number | undefined, fallback: number, name: string): number {
  const value = seconds ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new TcpError(`${name} must be a number of seconds >= 0, got ${String(value)}`, {
      code: "ERR_INVALID_ARGUMENT",
    });
  }
  return Math.round(value * 1000);
}
