/**
 * Numbers a user gives, checked in one place: ports, time values (seconds, or
 * milliseconds for the 1.2.0 API) and size or count limits. A bad one is a
 * `TcpError` with code `ERR_INVALID_ARGUMENT` that names the field.
 *
 * @module
 */
import { TcpError } from "./errors.js";

/** Whether `port` is an integer in `min..65535`. */
export function isValidPort(port: unknown, min: number): port is number {
  return typeof port === "number" && Number.isInteger(port) && port >= min && port <= 65535;
}

/** Any value, shown in an error message; never throws (not even for a `toString` that does). */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
    case "number":
    case "boolean":
    case "undefined":
      return String(value);
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    case "function":
      return "a function";
    default:
      return value === null ? "null" : Array.isArray(value) ? "an array" : "an object";
  }
}

/** The error for a bad argument: `<field> must be <expected>, got <value>`. */
export function invalidArgument(field: string, expected: string, value: unknown): TcpError {
  return new TcpError(`${field} must be ${expected}, got ${describeValue(value)}`, { code: "ERR_INVALID_ARGUMENT" });
}

/**
 * A time limit in milliseconds from a value in `unit`s of a millisecond: a
 * number >= 0; `0` and `Infinity` mean no limit (returned as 0). A positive
 * value never becomes 0 by rounding, and one past what any clock will reach
 * (over 2^53 ms) is no limit too.
 */
function timeLimit(value: unknown, fallback: number, field: string, unit: number, expected: string): number {
  const given = value === undefined ? fallback : value;
  if (typeof given !== "number" || Number.isNaN(given) || given < 0) throw invalidArgument(field, expected, given);
  const ms = given * unit;
  if (ms === 0 || ms > Number.MAX_SAFE_INTEGER) return 0;
  return Math.max(1, Math.round(ms));
}

/**
 * Seconds as Ballerina takes them (decimals allowed; 0 and `Infinity` = no
 * limit) to milliseconds (0 = no limit). Values past a Node timer's range
 * are fine: the {@link Clock} re-arms.
 */
export function secondsToMs(seconds: unknown, fallback: number, field: string): number {
  return timeLimit(seconds, fallback, field, 1000, "a number of seconds >= 0 (0 or Infinity: no limit)");
}

/** Milliseconds as the 1.2.0 `socket` module takes them (0 and `Infinity` = no limit). */
export function millisToMs(millis: unknown, fallback: number, field: string): number {
  return timeLimit(millis, fallback, field, 1, "a number of milliseconds >= 0 (0 or Infinity: no limit)");
}

/** A size or count limit: a positive (safe) integer, `fallback` when absent. */
export function positiveInteger(value: unknown, fallback: number, field: string): number {
  const given = value === undefined ? fallback : value;
  if (typeof given !== "number" || !Number.isSafeInteger(given) || given < 1) {
    throw invalidArgument(field, "a positive integer", given);
  }
  return given;
}
