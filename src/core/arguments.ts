/**
 * The checks of every argument and config field that is not a number (those
 * are in `units.ts`): host names, ports, signals, flags, option objects. Each
 * throws a `TcpError` with code `ERR_INVALID_ARGUMENT` naming the field, so a
 * bad value never surfaces as a raw `TypeError` from deeper down.
 *
 * @module
 */
import type { TcpError } from "./errors.js";
import { invalidArgument, isValidPort } from "./units.js";

/**
 * Control characters (C0, DEL, C1): never part of a host name or an IP
 * address. A NUL in particular would be cut off by the resolver, so
 * `"127.0.0.1\u0000.evil.example"` would pass an `endsWith` check and reach
 * 127.0.0.1.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A host name or IP address: a non-empty string without control characters. */
export function checkHost(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0) throw invalidArgument(field, "a non-empty host name or IP address", value);
  if (CONTROL.test(value)) throw invalidArgument(field, "a host name without control characters", value);
  return value;
}

/** {@link checkHost} for an optional field. */
export function checkOptionalHost(value: unknown, field: string): string | undefined {
  return value === undefined ? undefined : checkHost(value, field);
}

/** A port in `min..65535`. */
export function checkPort(value: unknown, field: string, min: 0 | 1): number {
  if (!isValidPort(value, min)) throw invalidArgument(field, `an integer from ${min} to 65535`, value);
  return value;
}

/** An optional `AbortSignal`. */
export function checkSignal(value: unknown, field: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw invalidArgument(field, "an AbortSignal", value);
}

/** An optional `true` / `false`. */
export function checkFlag(value: unknown, field: string): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw invalidArgument(field, "true or false", value);
}

/**
 * An options or config object: `undefined` gives `{}`; anything that is not
 * an object (null, a string, a number, a function) is refused.
 */
export function checkObject<T extends object>(value: T | undefined, field: string): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== "object") throw invalidArgument(field, "an object", value);
  return value;
}

/** The options of a read: an object whose `signal`, if any, is an `AbortSignal`. */
export function checkReadOptions(options: unknown): TcpError | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== "object") return invalidArgument("options", "an object", options);
  const signal = (options as { signal?: unknown }).signal;
  if (signal === undefined || signal instanceof AbortSignal) return undefined;
  return invalidArgument("options.signal", "an AbortSignal", signal);
}
