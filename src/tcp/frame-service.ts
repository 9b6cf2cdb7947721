/**
 * The framing side of a listener connection: the queue its bytes wait in
 * until the codec finds a whole frame, and the encoding of what goes back.
 * `connection.ts` decides when frames are handed to `onFrame` (one at a
 * time, only while its lifecycle reads for the service).
 *
 * @module
 */
import { ByteQueue } from "../core/byte-queue.js";
import { ConnectionClosedError, TcpError } from "../core/errors.js";
import type { Codec, DecodedFrame } from "../framing/codec.js";
import { checkCodec, encodeFrame, encodeParts } from "../framing/encode.js";
import { FrameReader } from "../framing/frame-reader.js";
import type { ConnectionService } from "./service.js";

/**
 * Checks how a `ConnectionService` reads: `onFrame` needs `framing` and
 * excludes `onBytes`. Returns the codec, if any.
 *
 * @throws TcpError `ERR_INVALID_ARGUMENT` naming what is wrong.
 */
export function serviceCodec(service: ConnectionService): Codec<unknown> | undefined {
  const { framing, onFrame, onBytes } = service;
  if (onFrame !== undefined && typeof onFrame !== "function") {
    throw new TcpError("A ConnectionService's onFrame must be a function", { code: "ERR_INVALID_ARGUMENT" });
  }
  if (onFrame !== undefined && onBytes !== undefined) {
    throw new TcpError("A ConnectionService has either onBytes or onFrame, not both", { code: "ERR_INVALID_ARGUMENT" });
  }
  if (framing === undefined) {
    if (onFrame !== undefined) {
      throw new TcpError("A ConnectionService with onFrame needs framing: a codec (e.g. lines())", {
        code: "ERR_INVALID_ARGUMENT",
      });
    }
    return undefined;
  }
  checkCodec(framing, "ConnectionService.framing");
  return framing;
}

/**
 * One connection's frames: received bytes are pushed in, whole frames come
 * out; a frame's bytes leave the queue only when it is taken. The queue is
 * bounded: the codec refuses a frame over its `maxLength`, and the reader
 * refuses one that has not ended `maxLength` + 64 KiB in.
 */
export class FrameInput {
  readonly codec: Codec<unknown>;
  readonly #queue = new ByteQueue();
  readonly #reader: FrameReader<unknown>;
  /** A frame that could not be decoded: nothing more is taken. */
  #failed = false;
  /** The peer's FIN came while queued frames waited for a handler: told to the lifecycle once they are handled. */
  endHeld = false;
  /**
   * While queued frames are handed out: the encoded replies of those handled
   * synchronously, written as one (a write per frame costs a system call
   * each). Any other write flushes it first, so the order holds.
   */
  batch: Uint8Array[] | undefined = undefined;

  constructor(codec: Codec<unknown>) {
    this.codec = codec;
    this.#reader = new FrameReader(codec, this.#queue);
  }

  /** Bytes received and not yet taken in a frame. */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Buffer): void {
    if (!this.#failed) this.#queue.push(chunk);
  }

  /**
   * The next whole frame, or `undefined` when more bytes are needed (or the
   * stream failed earlier).
   *
   * @throws TcpError why the bytes cannot be a frame; the queue is dropped
   * and no frame is taken after it.
   */
  next(): DecodedFrame<unknown> | undefined {
    if (this.#failed || this.#queue.length === 0) return undefined;
    try {
      return this.#reader.next();
    } catch (error) {
      this.#failed = true;
      this.#queue.clear();
      throw error;
    }
  }

  /** Every byte still queued, removed (a STARTTLS upgrade hands them to TLS). */
  takeAll(): Buffer {
    return this.#queue.take(this.#queue.length);
  }

  /** `frame` as the bytes to send. @throws TcpError when the codec refuses it. */
  encode(frame: unknown): Buffer {
    return encodeFrame(this.codec, frame);
  }

  /** Appends the parts that carry `frame` to `out` (joined later with other frames'). @throws TcpError as `encode`. */
  encodeInto(frame: unknown, out: Uint8Array[]): void {
    for (const part of encodeParts(this.codec, frame)) out.push(part);
  }

  /** The error for a peer that closed with part of a frame queued, if it did. */
  unfinished(): TcpError | undefined {
    const left = this.#queue.length;
    if (left === 0 || this.#failed) return undefined;
    return new ConnectionClosedError(`Connection closed by the peer. ${left} bytes of an unfinished frame were left`);
  }
}
