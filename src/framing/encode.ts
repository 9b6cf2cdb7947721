/**
 * A frame to the bytes that carry it, as one buffer: what the client's
 * `writeFrame` and the listener's `onFrame` write-backs send.
 *
 * @module
 */
import { TcpError } from "../core/errors.js";
import type { Codec } from "./codec.js";

/**
 * `codec.encode(frame)` as one Buffer: several parts are joined (one write,
 * so a frame is never half sent when a later part would be refused).
 *
 * @throws TcpError what the codec threw (`ERR_FRAME_TOO_LONG`,
 * `ERR_INVALID_ARGUMENT`), a non-`TcpError` wrapped with code
 * `ERR_INVALID_ARGUMENT`; the same for an encoder that returns no bytes.
 */
export function encodeFrame<T>(codec: Codec<T>, frame: T): Buffer {
  const out = encodeParts(codec, frame);
  return out.length === 1 ? asBuffer(out[0]!) : Buffer.concat(out);
}

/**
 * `codec.encode(frame)` as checked parts, not joined: for a caller that joins
 * several frames' parts into one write (one copy in all).
 *
 * @throws TcpError as {@link encodeFrame}.
 */
export function encodeParts<T>(codec: Codec<T>, frame: T): readonly Uint8Array[] {
  let out: Uint8Array | Uint8Array[];
  try {
    out = codec.encode(frame);
  } catch (error) {
    throw TcpError.wrap(error, "ERR_INVALID_ARGUMENT");
  }
  if (out instanceof Uint8Array) return [out];
  if (!Array.isArray(out) || !out.every((part) => part instanceof Uint8Array)) {
    throw new TcpError("A codec's encode must return a Uint8Array or an array of them", { code: "ERR_INVALID_ARGUMENT" });
  }
  return out;
}

/**
 * Checks that `codec` has the shape of a {@link Codec} (JavaScript callers may
 * pass anything), naming `where` in the error.
 *
 * @throws TcpError `ERR_INVALID_ARGUMENT`.
 */
export function checkCodec(codec: unknown, where: string): asserts codec is Codec<unknown> {
  const c = codec as Partial<Codec<unknown>> | null | undefined;
  if (
    c === null ||
    typeof c !== "object" ||
    typeof c.createDecoder !== "function" ||
    typeof c.encode !== "function" ||
    typeof c.maxLength !== "number" ||
    !Number.isSafeInteger(c.maxLength) ||
    c.maxLength <= 0
  ) {
    throw new TcpError(`${where} needs a codec: { maxLength, createDecoder(), encode() } (e.g. lines(), lengthPrefixed())`, {
      code: "ERR_INVALID_ARGUMENT",
    });
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
