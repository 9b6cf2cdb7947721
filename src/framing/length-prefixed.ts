/**
 * Frames preceded by their length as an unsigned integer.
 *
 * @module
 */
import type { ByteView, Codec, DecodedFrame, Decoder } from "./codec.js";
import { checkBytes, frameTooLong, invalidOption, maxLengthOption } from "./limits.js";

/** Options of {@link lengthPrefixed}. */
export interface LengthPrefixedOptions {
  /** How many bytes the length field takes: 1, 2 or 4 (an unsigned integer). */
  lengthBytes: 1 | 2 | 4;
  /**
   * Whether the length field is little-endian.
   *
   * @default false (big-endian, "network order")
   */
  littleEndian?: boolean;
  /**
   * The largest payload accepted, in bytes; at most what the length field can
   * hold (255 for 1 byte, 65535 for 2).
   *
   * @default 1048576 (1 MiB), or the field's maximum when that is smaller
   */
  maxLength?: number;
}

const NAME = "lengthPrefixed";

/**
 * A codec for frames sent as a length field followed by that many payload
 * bytes; the length counts the payload only. A length over `maxLength` is
 * refused as soon as the field arrives, before any payload is buffered.
 *
 * @throws TcpError `ERR_INVALID_ARGUMENT` for a `lengthBytes` other than
 * 1, 2 or 4, or a `maxLength` that is not a positive integer or does not fit
 * the length field.
 *
 * @example
 * ```ts
 * const framing = lengthPrefixed({ lengthBytes: 4 });
 * await client.writeFrame(framing, new TextEncoder().encode("hello")); // 00 00 00 05 'hello'
 * const reply = await client.readFrame(framing);
 * ```
 */
export function lengthPrefixed(options: LengthPrefixedOptions): Codec<Uint8Array> {
  const lengthBytes = options?.lengthBytes;
  if (lengthBytes !== 1 && lengthBytes !== 2 && lengthBytes !== 4) {
    throw invalidOption(NAME, `lengthBytes must be 1, 2 or 4, got ${String(lengthBytes)}`);
  }
  const littleEndian = options.littleEndian ?? false;
  if (typeof littleEndian !== "boolean") {
    throw invalidOption(NAME, `littleEndian must be a boolean, got ${String(littleEndian)}`);
  }
  const fieldMax = 2 ** (8 * lengthBytes) - 1;
  let maxLength: number;
  if (options.maxLength === undefined) {
    maxLength = Math.min(maxLengthOption(NAME, undefined), fieldMax);
  } else {
    maxLength = maxLengthOption(NAME, options);
    if (maxLength > fieldMax) {
      throw invalidOption(NAME, `maxLength ${maxLength} does not fit a ${lengthBytes}-byte length (at most ${fieldMax})`);
    }
  }

  const readLength = (view: ByteView): number => {
    let value = 0;
    for (let i = 0; i < lengthBytes; i++) {
      // Multiplying rather than shifting keeps 4-byte lengths unsigned.
      value = value * 256 + view.byteAt(littleEndian ? lengthBytes - 1 - i : i);
    }
    return value;
  };

  const decoder: Decoder<Uint8Array> = {
    // No state to keep: the header is at most 4 bytes, reading it again is free.
    decode(view: ByteView): DecodedFrame<Uint8Array> | undefined {
      if (view.length < lengthBytes) return undefined;
      const size = readLength(view);
      if (size > maxLength) throw frameTooLong(NAME, maxLength, `the length field says ${size}`);
      const total = lengthBytes + size;
      if (view.length < total) return undefined;
      return { frame: view.slice(lengthBytes, total), consumed: total };
    },
  };

  return {
    maxLength,
    createDecoder: () => decoder,
    encode(frame: Uint8Array): Uint8Array[] {
      checkBytes(NAME, frame);
      const size = frame.length;
      if (size > maxLength) throw frameTooLong(NAME, maxLength, `cannot encode ${size} bytes`);
      const header = new Uint8Array(lengthBytes);
      let rest = size;
      for (let i = lengthBytes - 1; i >= 0; i--) {
        header[littleEndian ? lengthBytes - 1 - i : i] = rest % 256;
        rest = Math.floor(rest / 256);
      }
      return [header, frame];
    },
  };
}
