/**
 * Remembers what was parsed from a file while the file stays the same (same
 * inode, size and modification time), so a client that connects often does
 * not re-run a slow parse (a PKCS#12 MAC check in JavaScript takes tens of
 * milliseconds) on every connect, and a replaced file is read again.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";

interface Entry<T> {
  readonly stamp: string;
  readonly value: Promise<T>;
}

/** A bounded cache of parses of files. */
export class FileCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /**
   * The value `parse` gives for `path` (with `secret`, e.g. the password it
   * needs, which is kept only as a hash), parsed again when the file changed.
   * A failed parse is not kept.
   */
  async get(path: string, secret: string, parse: () => Promise<T>): Promise<T> {
    const info = await stat(path);
    const stamp = `${info.ino}:${info.size}:${info.mtimeMs}`;
    const key = createHash("sha256").update(path).update("\0").update(secret).digest("base64");
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.stamp === stamp) return entry.value;
    const value = parse();
    this.#entries.delete(key);
    this.#entries.set(key, { stamp, value });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }
}
