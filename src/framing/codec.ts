/**
 * The interface every framing codec implements, built in or written by a
 * user. A codec never holds received bytes: they stay in the connection's
 * queue until a whole frame is taken, so nothing is lost or hidden when the
 * connection is upgraded (STARTTLS) or a read gives up.
 *
 * @module
 */

/**
 * A read-only look at the bytes received and not yet consumed, oldest first.
 * Offsets are relative to the first unconsumed byte. Nothing here removes a
 * byte; the connection removes a frame's bytes after the decoder returns it.
 *
 * Walking forward (rising `index` / `from`) is cheap however the bytes
 * arrived; jumping back to an earlier offset costs a walk over the received
 * chunks, so a decoder should keep its position rather than start again.
 */
export interface ByteView {
  /** How many bytes are buffered. */
  readonly length: number;
  /**
   * The byte at `index`, `0 <= index < length`.
   *
   * @throws RangeError when `index` is outside the buffered bytes.
   */
  byteAt(index: number): number;
  /**
   * Where the first `needle` (one byte value, or a byte sequence) starts at or
   * after `from`, or -1. A sequence may straddle received chunks.
   *
   * @param from - the first offset to look at; default 0.
   */
  indexOf(needle: number | Uint8Array, from?: number): number;
  /**
   * The bytes at `[start, end)` (end clamped to `length`; default `length`):
   * a view of the received chunk when they lie in one, else a copy. The
   * bytes are not consumed.
   *
   * @throws RangeError when `start` is negative or after `end`.
   */
  slice(start: number, end?: number): Uint8Array;
}

/** A whole frame a decoder found at the front of a {@link ByteView}. */
export interface DecodedFrame<T> {
  /** The frame, built from the view (for bytes, typically `view.slice(a, b)`). */
  readonly frame: T;
  /**
   * How many bytes, from offset 0, the frame occupied with its header,
   * delimiter or padding: the connection removes exactly these. An integer
   * in `1..view.length`.
   */
  readonly consumed: number;
}

/**
 * Finds frames in one connection's bytes. It may remember how far it has
 * looked (so a delimiter search never rescans) but must not copy bytes it
 * has not returned in a frame.
 *
 * The connection calls `decode` whenever bytes arrive, with the same view,
 * grown at the end, until it returns a frame; it then removes
 * `consumed` bytes and calls again for the next frame. When anything else
 * removes bytes (a plain read in between, an error), the connection makes a
 * new decoder with {@link Codec.createDecoder}, so a decoder never sees bytes
 * disappear under it.
 */
export interface Decoder<T> {
  /**
   * The frame at the front of `view`, or `undefined` when more bytes are
   * needed.
   *
   * @throws TcpError with code `ERR_FRAME_TOO_LONG` as soon as the buffered
   * bytes prove the frame is longer than the codec's `maxLength`, or any error
   * for bytes that break the protocol. The bytes stay buffered either way; a
   * non-`TcpError` reaches the caller wrapped in a `TcpError` (as `cause`).
   */
  decode(view: ByteView): DecodedFrame<T> | undefined;
}

/**
 * Turns a byte stream into frames of type `T` and frames into bytes.
 *
 * @typeParam T - what one frame is; `Uint8Array` for the built-in codecs.
 *
 * @example A user-written codec: a 1-byte type, a 2-byte big-endian length, the body.
 * ```ts
 * import { TcpError, type ByteView, type Codec, type DecodedFrame } from "tcpkit";
 *
 * interface Message { type: number; body: Uint8Array }
 *
 * const typed: Codec<Message> = {
 *   maxLength: 65_535,
 *   createDecoder: () => ({
 *     decode(view: ByteView): DecodedFrame<Message> | undefined {
 *       if (view.length < 3) return undefined;
 *       const size = (view.byteAt(1) << 8) | view.byteAt(2);
 *       if (view.length < 3 + size) return undefined;
 *       return { frame: { type: view.byteAt(0), body: view.slice(3, 3 + size) }, consumed: 3 + size };
 *     },
 *   }),
 *   encode({ type, body }: Message): Uint8Array[] {
 *     if (body.length > 65_535) {
 *       throw new TcpError("Frame longer than 65535 bytes (typed)", { code: "ERR_FRAME_TOO_LONG" });
 *     }
 *     return [Uint8Array.of(type, body.length >> 8, body.length & 0xff), body];
 *   },
 * };
 * ```
 */
export interface Codec<T = Uint8Array> {
  /**
   * The largest frame this codec accepts, in bytes (for the built-in codecs,
   * payload bytes: without the length prefix or delimiter).
   */
  readonly maxLength: number;
  /** A decoder for one connection; it keeps that connection's search state. */
  createDecoder(): Decoder<T>;
  /**
   * The bytes that carry `frame`: one array, or several to be written in
   * order (so a payload need not be copied to add a header or delimiter).
   *
   * @throws TcpError with code `ERR_FRAME_TOO_LONG` for a frame over
   * `maxLength`, `ERR_INVALID_ARGUMENT` for one the codec cannot carry.
   */
  encode(frame: T): Uint8Array | Uint8Array[];
}
