/**
 * Noticing that the process is out of file descriptors. Node never says so
 * on accept: when `accept()` fails with EMFILE, libuv frees a reserve
 * descriptor, accepts every waiting connection and closes it at once, and
 * reports nothing (the peers just see a close). So the listener looks for
 * itself: on Linux it reads the soft limit once, and samples the descriptors
 * in use (`/proc/self/fd`) on accept, rarely while many are free and more
 * often as they run out (an integer decrement per accept otherwise).
 * Elsewhere (no `/proc`) it stays off.
 *
 * @module
 */
import { readFileSync, readdirSync } from "node:fs";

/** Below this many free descriptors, accepting is about to fail (libuv's reserve takes one). */
const LOW_WATER = 3;

/** The soft limit on open files of this process, when the OS tells (Linux; undefined if unlimited). */
export function softFdLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

function fdsInUse(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length - 1; // less the one readdir itself holds
  } catch {
    return undefined;
  }
}

/** What {@link FdWatch} reports. */
export interface FdShortage {
  readonly inUse: number;
  readonly limit: number;
}

export class FdWatch {
  readonly #limit: number | undefined = softFdLimit();
  /** Accepts left before the next sample. */
  #untilSample = 1;
  /** Reported, and not yet back above twice the low water mark. */
  #short = false;

  /**
   * Call on every accept (samples get more frequent as descriptors run out:
   * half the free ones are accepted between two). Returns the shortage when descriptors have just
   * run out (once, until enough are free again).
   */
  accepted(): FdShortage | undefined {
    if (this.#limit === undefined || --this.#untilSample > 0) return undefined;
    const inUse = fdsInUse();
    if (inUse === undefined) return undefined;
    const free = this.#limit - inUse;
    this.#untilSample = Math.max(1, Math.floor(free / 2));
    if (free > 2 * LOW_WATER) this.#short = false;
    if (free > LOW_WATER || this.#short) return undefined;
    this.#short = true;
    return { inUse, limit: this.#limit };
  }
}
