/**
 * Drives a {@link Codec} over a connection's {@link ByteQueue}: the glue the
 * client's `readFrame` and the listener's `onFrame` path use. Internal: not
 * exported from the package.
 *
 * @module
 */
import type { ByteQueue } from "../core/byte-queue.js";
import { TcpError } from "../core/errors.js";
import type { ByteView, Codec, DecodedFrame, Decoder } from "./codec.js";
import { frameTooLong } from "./limits.js";

/**
 * Bytes a frame may take beyond its codec's `maxLength` (a header, a
 * delimiter, padding) before the reader refuses it whatever the decoder
 * says: the backstop that bounds the buffer for a decoder that never gives up.
 */
export const FRAME_OVERHEAD_LIMIT = 64 * 1024;

/** The read-only face of a queue a decoder sees: it cannot remove bytes. */
class QueueView implements ByteView {
  readonly #queue: ByteQueue;

  constructor(queue: ByteQueue) {
    this.#queue = queue;
  }

  get length(): number {
    return this.#queue.length;
  }

  byteAt(index: number): number {
    return this.#queue.byteAt(index);
  }

  indexOf(needle: number | Uint8Array, from?: number): number {
    return this.#queue.indexOf(needle, from);
  }

  slice(start: number, end?: number): Uint8Array {
    return this.#queue.slice(start, end);
  }
}

/**
 * One connection's frames in one codec. Bytes stay in the queue until a whole
 * frame is found; then exactly that frame's bytes are removed. The decoder's
 * search state survives between calls as long as nothing else removes bytes
 * from the queue; if something does (a plain read, `clear()`), it starts over.
 *
 * @example
 * ```ts
 * const frames = new FrameReader(lines(), queue);
 * queue.push(chunk);
 * for (let f = frames.next(); f !== undefined; f = frames.next()) handle(f.frame);
 * ```
 */
export class FrameReader<T> {
  readonly codec: Codec<T>;
  readonly #queue: ByteQueue;
  readonly #view: QueueView;
  #decoder: Decoder<T>;
  /** `queue.consumed` when the decoder last saw the queue. */
  #mark: number;

  constructor(codec: Codec<T>, queue: ByteQueue) {
    this.codec = codec;
    this.#queue = queue;
    this.#view = new QueueView(queue);
    this.#decoder = codec.createDecoder();
    this.#mark = queue.consumed;
  }

  /**
   * Removes the next whole frame from the queue and returns it (with how many
   * bytes it took), or `undefined` when more bytes are needed.
   *
   * @throws TcpError when the codec refuses the bytes (`ERR_FRAME_TOO_LONG`,
   * or what it threw, wrapped with code `ERR_HANDLER` unless a `TcpError`),
   * and `ERR_FRAME_TOO_LONG` when the decoder still wants more bytes with
   * `maxLength` + {@link FRAME_OVERHEAD_LIMIT} buffered. No byte is removed
   * then; the next call starts a fresh decoder.
   */
  next(): DecodedFrame<T> | undefined {
    const queue = this.#queue;
    if (queue.consumed !== this.#mark) this.#restart();
    if (queue.length === 0) return undefined;
    let decoded: DecodedFrame<T> | undefined;
    try {
      decoded = this.#decoder.decode(this.#view);
    } catch (error) {
      this.#restart();
      throw TcpError.wrap(error);
    }
    if (decoded !== undefined) {
      const consumed = decoded.consumed;
      if (!Number.isInteger(consumed) || consumed < 1 || consumed > queue.length) {
        this.#restart();
        throw new TcpError(
          `A codec's decoder returned a frame of ${String(consumed)} bytes with ${queue.length} buffered; it must be 1..${queue.length}`,
          { code: "ERR_HANDLER" },
        );
      }
      queue.skip(consumed);
    } else if (queue.length > this.codec.maxLength + FRAME_OVERHEAD_LIMIT) {
      this.#restart();
      throw frameTooLong("codec", this.codec.maxLength, `no whole frame in ${queue.length} buffered bytes`);
    }
    this.#mark = queue.consumed;
    return decoded;
  }

  #restart(): void {
    this.#decoder = this.codec.createDecoder();
    this.#mark = this.#queue.consumed;
  }
}
