/**
 * Option checks and the frame-length error shared by the built-in codecs.
 *
 * @module
 */
import { TcpError } from "../core/errors.js";

/** The `maxLength` of a built-in codec when none is given: 1 MiB. */
export const DEFAULT_MAX_LENGTH = 1_048_576;

/**
 * The error for a frame over `limit` bytes, naming the codec so a person
 * knows which limit to raise (or which peer misbehaves).
 */
export function frameTooLong(codec: string, limit: number, detail?: string): TcpError {
  const suffix = detail === undefined ? "" : `: ${detail}`;
  return new TcpError(`Frame longer than ${limit} bytes (${codec})${suffix}`, { code: "ERR_FRAME_TOO_LONG" });
}

/** An `ERR_INVALID_ARGUMENT` naming the codec and the option. */
export function invalidOption(codec: string, message: string): TcpError {
  return new TcpError(`${codec}: ${message}`, { code: "ERR_INVALID_ARGUMENT" });
}

/** `value` as a positive safe integer, else an `ERR_INVALID_ARGUMENT` naming `name`. */
export function positiveInteger(codec: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidOption(codec, `${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** The `maxLength` option, or the default when it is absent. */
export function maxLengthOption(codec: string, options: { maxLength?: number } | undefined): number {
  const value = options?.maxLength;
  return value === undefined ? DEFAULT_MAX_LENGTH : positiveInteger(codec, "maxLength", value);
}

/** Checks that an encoded frame is bytes (JavaScript callers may pass anything). */
export function checkBytes(codec: string, frame: unknown): asserts frame is Uint8Array {
  if (!(frame instanceof Uint8Array)) {
    throw invalidOption(codec, `a frame to encode must be a Uint8Array, got ${typeof frame}`);
  }
}
