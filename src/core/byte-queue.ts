/**
 * A queue of received chunks that hands bytes out without copying where it can:
 * a whole head chunk, a slice of it, or (only across chunk boundaries) a copy.
 * Pure code: it never touches a socket.
 *
 * @module
 */

const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  /** Received chunks; those before `#first` are spent (kept as `EMPTY` until compacted). */
  #chunks: Buffer[] = [];
  /**
   * The index of the oldest chunk still queued. Moving an index rather than
   * calling `shift()` keeps draining many small chunks linear: `shift()` on
   * a large array copies it.
   */
  #first = 0;
  /** Bytes of `#chunks[#first]` already handed out. */
  #headOffset = 0;
  #length = 0;
  /** Bytes removed since the queue was made. */
  #consumed = 0;
  /**
   * Where the last lookup landed: a chunk index and the queue offset of that
   * chunk's first queued byte. Lookups at or after it start there, so scanning
   * forward through many small chunks stays linear. Reset when the head moves.
   */
  #cursorChunk = 0;
  #cursorBase = 0;

  /** How many bytes are queued. */
  get length(): number {
    return this.#length;
  }

  /**
   * How many bytes have been removed (taken, skipped, shifted or cleared) so
   * far. A reader that keeps positions into the queue compares it to see
   * whether someone else consumed bytes meanwhile.
   */
  get consumed(): number {
    return this.#consumed;
  }

  /** Appends a chunk; the queue keeps a reference, not a copy. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns what is left of the oldest chunk, or `undefined` when empty. */
  shiftChunk(): Buffer | undefined {
    const head = this.#chunks[this.#first];
    if (head === undefined) return undefined;
    const rest = this.#headOffset === 0 ? head : head.subarray(this.#headOffset);
    this.#advanceHead(rest.length, rest.length);
    return rest;
  }

  /** Removes and returns exactly `n` bytes; the caller checks `length >= n` first. */
  take(n: number): Buffer {
    if (n > this.#length) throw new RangeError(`take(${n}) with ${this.#length} bytes queued`);
    const head = this.#chunks[this.#first];
    if (head === undefined || n === 0) return Buffer.alloc(0);
    const available = head.length - this.#headOffset;
    if (n <= available) {
      // The whole untouched head chunk is handed out as is: no new view to allocate.
      const out = n === head.length ? head : head.subarray(this.#headOffset, this.#headOffset + n);
      this.#advanceHead(n, available);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[this.#first]!;
      const left = chunk.length - this.#headOffset;
      const count = Math.min(left, n - filled);
      chunk.copy(out, filled, this.#headOffset, this.#headOffset + count);
      filled += count;
      this.#advanceHead(count, left);
    }
    return out;
  }

  /** Removes `n` bytes without handing them out; the caller checks `length >= n` first. */
  skip(n: number): void {
    if (n > this.#length) throw new RangeError(`skip(${n}) with ${this.#length} bytes queued`);
    let left = n;
    while (left > 0) {
      const available = this.#chunks[this.#first]!.length - this.#headOffset;
      const count = Math.min(available, left);
      this.#advanceHead(count, available);
      left -= count;
    }
  }

  /** Drops every queued byte. */
  clear(): void {
    const dropped = this.#length;
    this.#chunks = [];
    this.#first = 0;
    this.#headOffset = 0;
    this.#length = 0;
    this.#headMoved(dropped);
  }

  /** The byte at `index` (0 is the oldest queued byte), without removing it. */
  byteAt(index: number): number {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new RangeError(`byteAt(${index}) with ${this.#length} bytes queued`);
    }
    this.#seek(index);
    const start = this.#cursorChunk === this.#first ? this.#headOffset : 0;
    return this.#chunks[this.#cursorChunk]![start + index - this.#cursorBase]!;
  }

  /**
   * The bytes at `[start, end)` without removing them: a view of a received
   * chunk when they lie in one, else a copy. `end` is clamped to `length`.
   */
  slice(start: number, end: number = this.#length): Buffer {
    const stop = Math.min(end, this.#length);
    if (!(start >= 0) || !(start <= stop)) {
      throw new RangeError(`slice(${start}, ${end}) with ${this.#length} bytes queued`);
    }
    if (start === stop) return Buffer.alloc(0);
    this.#seek(start);
    let i = this.#cursorChunk;
    let chunk = this.#chunks[i]!;
    let from = (i === this.#first ? this.#headOffset : 0) + start - this.#cursorBase;
    if (from + (stop - start) <= chunk.length) return chunk.subarray(from, from + stop - start);
    const out = Buffer.allocUnsafe(stop - start);
    let filled = 0;
    while (filled < out.length) {
      const count = Math.min(chunk.length - from, out.length - filled);
      chunk.copy(out, filled, from, from + count);
      filled += count;
      chunk = this.#chunks[++i]!;
      from = 0;
    }
    return out;
  }

  /**
   * The position of the first `delimiter` (a byte value or a byte sequence)
   * that starts at or after `from`, or -1. Nothing is removed. Matches may span
   * chunks. Searching again with `from` set to `length - delimiter.length + 1`
   * after more bytes arrive avoids rescanning, also across many small chunks.
   */
  indexOf(delimiter: Uint8Array | number, from = 0): number {
    const d = typeof delimiter === "number" ? 1 : delimiter.length;
    const start = Math.max(0, from);
    if (d === 0) return start <= this.#length ? start : -1;
    if (start >= this.#length) return -1;
    this.#seek(start);
    let base = this.#cursorBase;
    for (let i = this.#cursorChunk; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i]!;
      const first = i === this.#first ? this.#headOffset : 0;
      const size = chunk.length - first;
      const localFrom = Math.max(0, start - base);
      const inside = chunk.indexOf(delimiter, first + localFrom);
      if (inside !== -1) return base + inside - first;
      if (typeof delimiter !== "number") {
        // Matches that start in this chunk's last d-1 bytes run into the next chunks.
        for (let p = Math.max(localFrom, size - d + 1); p < size; p++) {
          if (this.#matchesAt(i, first + p, delimiter)) return base + p;
        }
      }
      base += size;
    }
    return -1;
  }

  /** Points the cursor at the chunk holding queue offset `offset` (`< length`). */
  #seek(offset: number): void {
    if (offset < this.#cursorBase) {
      this.#cursorChunk = this.#first;
      this.#cursorBase = 0;
    }
    for (;;) {
      const size = this.#chunks[this.#cursorChunk]!.length - (this.#cursorChunk === this.#first ? this.#headOffset : 0);
      if (offset < this.#cursorBase + size) return;
      this.#cursorBase += size;
      this.#cursorChunk++;
    }
  }

  /** Offsets shift when bytes leave the head: count them and forget the cursor. */
  #headMoved(count: number): void {
    this.#consumed += count;
    this.#cursorChunk = this.#first;
    this.#cursorBase = 0;
  }

  #matchesAt(chunkIndex: number, offset: number, delimiter: Uint8Array): boolean {
    let i = chunkIndex;
    let pos = offset;
    for (let k = 0; k < delimiter.length; k++) {
      let chunk = this.#chunks[i];
      while (chunk !== undefined && pos >= chunk.length) {
        i++;
        pos = 0;
        chunk = this.#chunks[i];
      }
      if (chunk === undefined || chunk[pos] !== delimiter[k]) return false;
      pos++;
    }
    return true;
  }

  #advanceHead(count: number, available: number): void {
    this.#length -= count;
    if (count === available) {
      this.#dropHeadChunk();
    } else {
      this.#headOffset += count;
    }
    this.#headMoved(count);
  }

  #dropHeadChunk(): void {
    const chunks = this.#chunks;
    this.#headOffset = 0;
    if (++this.#first === chunks.length) {
      chunks.length = 0;
      this.#first = 0;
    } else {
      chunks[this.#first - 1] = EMPTY; // let the spent chunk be collected
      // Compact once the spent slots are at least half the array: amortised O(1) per chunk.
      if (this.#first >= 64 && this.#first * 2 >= chunks.length) {
        chunks.splice(0, this.#first);
        this.#first = 0;
      }
    }
  }
}
