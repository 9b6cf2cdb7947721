/**
 * A queue of received chunks that hands bytes out without copying where it can:
 * a whole head chunk, a slice of it, or (only across chunk boundaries) a copy.
 * Pure code: it never touches a socket.
 *
 * @module
 */

export class ByteQueue {
  #chunks: Buffer[] = [];
  /** Bytes of `#chunks[0]` already handed out. */
  #headOffset = 0;
  #length = 0;

  /** How many bytes are queued. */
  get length(): number {
    return this.#length;
  }

  /** Appends a chunk; the queue keeps a reference, not a copy. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** Removes and returns what is left of the oldest chunk, or `undefined` when empty. */
  shiftChunk(): Buffer | undefined {
    const head = this.#chunks.shift();
    if (head === undefined) return undefined;
    const rest = this.#headOffset === 0 ? head : head.subarray(this.#headOffset);
    this.#headOffset = 0;
    this.#length -= rest.length;
    return rest;
  }

  /** Removes and returns exactly `n` bytes; the caller checks `length >= n` first. */
  take(n: number): Buffer {
    if (n > this.#length) throw new RangeError(`take(${n}) with ${this.#length} bytes queued`);
    const head = this.#chunks[0];
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
      const chunk = this.#chunks[0]!;
      const left = chunk.length - this.#headOffset;
      const count = Math.min(left, n - filled);
      chunk.copy(out, filled, this.#headOffset, this.#headOffset + count);
      filled += count;
      this.#advanceHead(count, left);
    }
    return out;
  }

  /** Drops every queued byte. */
  clear(): void {
    this.#chunks = [];
    this.#headOffset = 0;
    this.#length = 0;
  }

  /**
   * The position of the first `delimiter` that starts at or after `from`, or -1.
   * Matches may span chunks. Searching again with `from` set to
   * `length - delimiter.length + 1` after more bytes arrive avoids rescanning.
   */
  indexOf(delimiter: Uint8Array, from = 0): number {
    const d = delimiter.length;
    if (d === 0) return from <= this.#length ? from : -1;
    let base = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i]!;
      const start = i === 0 ? this.#headOffset : 0;
      const size = chunk.length - start;
      const end = base + size;
      if (end > from) {
        const localFrom = Math.max(0, from - base);
        const inside = chunk.indexOf(delimiter, start + localFrom);
        if (inside !== -1) return base + inside - start;
        // Matches that start in this chunk's last d-1 bytes run into the next chunks.
        for (let p = Math.max(localFrom, size - d + 1); p < size; p++) {
          if (this.#matchesAt(i, start + p, delimiter)) return base + p;
        }
      }
      base = end;
    }
    return -1;
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
      this.#chunks.shift();
      this.#headOffset = 0;
    } else {
      this.#headOffset += count;
    }
  }
}
