/** Feeding codecs by hand in the framing tests. */
import { ByteQueue } from "../../src/core/byte-queue.js";
import type { ByteView, Codec } from "../../src/framing/index.js";
import { FrameReader } from "../../src/framing/frame-reader.js";

/** Every frame `codec` finds in `chunks`, pushed one by one, and what is left buffered. */
export function decodeChunks<T>(codec: Codec<T>, chunks: Iterable<Uint8Array>): { frames: T[]; left: number } {
  const queue = new ByteQueue();
  const reader = new FrameReader(codec, queue);
  const frames: T[] = [];
  for (const chunk of chunks) {
    queue.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    for (let found = reader.next(); found !== undefined; found = reader.next()) frames.push(found.frame);
  }
  return { frames, left: queue.length };
}

/** The bytes `codec` produces for `frame`, as one buffer. */
export function encoded<T>(codec: Codec<T>, frame: T): Buffer {
  const out = codec.encode(frame);
  return Buffer.concat(Array.isArray(out) ? out : [out]);
}

/** `bytes` cut at `cuts` (any numbers; taken modulo the length, sorted). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    if (point > from) parts.push(bytes.subarray(from, point));
    from = Math.max(from, point);
  }
  return parts;
}

/**
 * A view over a queue that counts the bytes a decoder makes it examine: every
 * byte a search passes over, every byte read or copied.
 */
export class CountingView implements ByteView {
  readonly #queue: ByteQueue;
  examined = 0;

  constructor(queue: ByteQueue) {
    this.#queue = queue;
  }

  get length(): number {
    return this.#queue.length;
  }

  byteAt(index: number): number {
    this.examined += 1;
    return this.#queue.byteAt(index);
  }

  indexOf(needle: number | Uint8Array, from = 0): number {
    const found = this.#queue.indexOf(needle, from);
    const size = typeof needle === "number" ? 1 : needle.length;
    const end = found === -1 ? this.#queue.length : found + size;
    this.examined += Math.max(0, end - Math.max(0, from));
    return found;
  }

  slice(start: number, end?: number): Uint8Array {
    const out = this.#queue.slice(start, end);
    this.examined += out.length;
    return out;
  }
}
