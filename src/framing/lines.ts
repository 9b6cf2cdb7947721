/**
 * Text lines ended by "\n" or "\r\n".
 *
 * @module
 */
import type { ByteView, Codec, DecodedFrame, Decoder } from "./codec.js";
import { checkBytes, frameTooLong, invalidOption, maxLengthOption } from "./limits.js";

/** Options of {@link lines}. */
export interface LinesOptions {
  /**
   * The longest line accepted, in bytes, without its "\r\n" or "\n".
   *
   * @default 1048576 (1 MiB)
   */
  maxLength?: number;
}

const NAME = "lines";
const LF = 0x0a;
const CR = 0x0d;
const CRLF = Uint8Array.of(CR, LF);

/** Remembers where the "\n" search stopped, so no byte is searched twice. */
class LinesDecoder implements Decoder<Uint8Array> {
  readonly #maxLength: number;
  #searchFrom = 0;

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  decode(view: ByteView): DecodedFrame<Uint8Array> | undefined {
    const max = this.#maxLength;
    const at = view.indexOf(LF, this.#searchFrom);
    if (at === -1) {
      // Too long once a byte sits past the limit that cannot be the "\r" of a "\r\n".
      if (view.length > max + 1 || (view.length > max && view.byteAt(max) !== CR)) {
        throw frameTooLong(NAME, max, "no line end found");
      }
      this.#searchFrom = view.length;
      return undefined;
    }
    const end = at > 0 && view.byteAt(at - 1) === CR ? at - 1 : at;
    if (end > max) throw frameTooLong(NAME, max, `the line end is at byte ${at}`);
    this.#searchFrom = 0;
    return { frame: view.slice(0, end), consumed: at + 1 };
  }
}

/**
 * A codec for text lines: a frame is the bytes before "\n", with a trailing
 * "\r" dropped (so both "\r\n" and "\n" end a line); `encode` appends
 * "\r\n", as SMTP, IMAP, POP3, FTP and Redis expect. Frames are bytes; decode
 * them with `TextDecoder` when they are text.
 *
 * @throws TcpError `ERR_INVALID_ARGUMENT` for a `maxLength` that is not a
 * positive integer.
 *
 * @example
 * ```ts
 * const text = lines({ maxLength: 1000 });
 * await client.writeFrame(text, new TextEncoder().encode("EHLO example.com")); // 'EHLO example.com\r\n'
 * const greeting = new TextDecoder().decode(await client.readFrame(text));
 * ```
 */
export function lines(options?: LinesOptions): Codec<Uint8Array> {
  const maxLength = maxLengthOption(NAME, options);
  return {
    maxLength,
    createDecoder: () => new LinesDecoder(maxLength),
    encode(frame: Uint8Array): Uint8Array[] {
      checkBytes(NAME, frame);
      if (frame.length > maxLength) throw frameTooLong(NAME, maxLength, `cannot encode ${frame.length} bytes`);
      // A "\n" inside would end the line early: refuse it rather than let it inject a second line.
      if (frame.indexOf(LF) !== -1) throw invalidOption(NAME, 'a line to encode must not contain "\\n"');
      return [frame, CRLF];
    },
  };
}
