/**
 * Frames ended by a delimiter.
 *
 * @module
 */
import type { ByteView, Codec, DecodedFrame, Decoder } from "./codec.js";
import { checkBytes, frameTooLong, invalidOption, maxLengthOption } from "./limits.js";

/** Options of {@link delimited}. */
export interface DelimitedOptions {
  /**
   * The largest frame accepted, in bytes, without the delimiter.
   *
   * @default 1048576 (1 MiB)
   */
  maxLength?: number;
}

const NAME = "delimited";

/** Remembers where the delimiter search stopped, so no byte is searched twice. */
class DelimitedDecoder implements Decoder<Uint8Array> {
  readonly #delimiter: Uint8Array;
  readonly #maxLength: number;
  #searchFrom = 0;

  constructor(delimiter: Uint8Array, maxLength: number) {
    this.#delimiter = delimiter;
    this.#maxLength = maxLength;
  }

  decode(view: ByteView): DecodedFrame<Uint8Array> | undefined {
    const d = this.#delimiter.length;
    const at = view.indexOf(this.#delimiter, this.#searchFrom);
    if (at === -1) {
      // Every place a delimiter could start within the limit has been seen.
      if (view.length >= this.#maxLength + d) throw frameTooLong(NAME, this.#maxLength, "no delimiter found");
      // A delimiter may still start in the last d-1 bytes.
      this.#searchFrom = Math.max(0, view.length - d + 1);
      return undefined;
    }
    if (at > this.#maxLength) throw frameTooLong(NAME, this.#maxLength, `the delimiter is at byte ${at}`);
    this.#searchFrom = 0;
    return { frame: view.slice(0, at), consumed: at + d };
  }
}

/**
 * A codec for frames ended by `delimiter`: a frame is the bytes before it;
 * the delimiter is consumed, not returned, and `encode` appends it. A peer
 * that sends `maxLength` bytes plus the delimiter's length without a
 * delimiter gets `ERR_FRAME_TOO_LONG` at once.
 *
 * @param delimiter - a non-empty byte sequence, or a string (UTF-8).
 * @throws TcpError `ERR_INVALID_ARGUMENT` for an empty delimiter or a
 * `maxLength` that is not a positive integer.
 *
 * @example
 * ```ts
 * const records = delimited("\0", { maxLength: 4096 });
 * await client.writeFrame(records, new TextEncoder().encode("one")); // 'one\0'
 * for await (const record of client.frames(records)) console.log(record);
 * ```
 */
export function delimited(delimiter: string | Uint8Array, options?: DelimitedOptions): Codec<Uint8Array> {
  let bytes: Uint8Array;
  if (typeof delimiter === "string") bytes = Buffer.from(delimiter, "utf8");
  // A private copy: the caller may reuse its array.
  else if (delimiter instanceof Uint8Array) bytes = Uint8Array.from(delimiter);
  else throw invalidOption(NAME, `delimiter must be a string or a Uint8Array, got ${typeof delimiter}`);
  if (bytes.length === 0) throw invalidOption(NAME, "delimiter must not be empty");
  const maxLength = maxLengthOption(NAME, options);
  const d = bytes.length;

  return {
    maxLength,
    createDecoder: () => new DelimitedDecoder(bytes, maxLength),
    encode(frame: Uint8Array): Uint8Array[] {
      checkBytes(NAME, frame);
      if (frame.length > maxLength) throw frameTooLong(NAME, maxLength, `cannot encode ${frame.length} bytes`);
      // The receiver splits at the first delimiter: it must be the one appended here.
      const inside = Buffer.from(frame.buffer, frame.byteOffset, frame.length).indexOf(bytes) !== -1;
      if (inside || endsInDelimiter(frame, bytes, d)) {
        throw invalidOption(NAME, "a frame to encode must not contain the delimiter");
      }
      return [frame, bytes];
    },
  };
}

/** Whether the end of `frame` and the start of `delimiter` form a delimiter (e.g. "x-" + "--"). */
function endsInDelimiter(frame: Uint8Array, delimiter: Uint8Array, d: number): boolean {
  for (let overlap = Math.min(d - 1, frame.length); overlap > 0; overlap--) {
    let match = true;
    for (let k = 0; k < d && match; k++) {
      const byte = k < overlap ? frame[frame.length - overlap + k] : delimiter[k - overlap];
      match = byte === delimiter[k];
    }
    if (match) return true;
  }
  return false;
}
