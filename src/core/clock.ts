/**
 * The clock the time-out code reads through: the time now, and timers of any
 * length. Node's own timers hold at most 2^31 − 1 ms (about 24.8 days); a
 * longer `setTimeout` prints a `TimeoutOverflowWarning` and fires after 1 ms.
 * {@link realClock} arms such a delay in chunks instead, so it never fires
 * early. Tests of pure code may hand in a clock of their own.
 *
 * @module
 */
import { performance } from "node:perf_hooks";

/** The longest delay a Node timer holds. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer armed by a {@link Clock}; `unref` lets the process exit while it waits. */
export interface TimerHandle {
  ref(): unknown;
  unref(): unknown;
}

/** What the time-out code needs of a clock. */
export interface Clock {
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  now(): number;
  /**
   * Calls `callback(arg)` once, `delayMs` from now (any length; never early).
   * Passing `arg` instead of a closure spares an allocation per timer.
   */
  setTimer<A>(delayMs: number, callback: (arg: A) => void, arg: A): TimerHandle;
  /** Cancels a timer armed by {@link setTimer} (a fired or cleared one: no effect). */
  clearTimer(handle: TimerHandle): void;
}

/** A delay past {@link MAX_TIMER_MS}, armed one Node timer at a time. */
class LongTimer<A> implements TimerHandle {
  readonly #callback: (arg: A) => void;
  readonly #arg: A;
  /** Milliseconds still to wait after the chunk armed now. */
  #left: number;
  #timer: NodeJS.Timeout | undefined;
  #refed = true;

  constructor(delayMs: number, callback: (arg: A) => void, arg: A) {
    this.#callback = callback;
    this.#arg = arg;
    this.#left = delayMs;
    this.#arm();
  }

  #arm(): void {
    const chunk = Math.min(this.#left, MAX_TIMER_MS);
    this.#left -= chunk;
    // Looked up on each call (not kept at import), so node:test's mock.timers applies.
    this.#timer = setTimeout(LongTimer.#step, chunk, this);
    if (!this.#refed) this.#timer.unref();
  }

  /** A chunk ran out (a Node timer never fires early): arm the next, or call back. */
  static #step<A>(timer: LongTimer<A>): void {
    timer.#timer = undefined;
    if (timer.#left > 0) timer.#arm();
    else timer.#callback(timer.#arg);
  }

  ref(): this {
    this.#refed = true;
    this.#timer?.ref();
    return this;
  }

  unref(): this {
    this.#refed = false;
    this.#timer?.unref();
    return this;
  }

  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Node's timers and `performance.now()`. A delay Node can hold is one plain
 * `setTimeout` (no wrapper, no extra allocation); a longer one is re-armed
 * in chunks.
 */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimer<A>(delayMs: number, callback: (arg: A) => void, arg: A): TimerHandle {
    if (delayMs > MAX_TIMER_MS) return new LongTimer(delayMs, callback, arg);
    return setTimeout(callback, delayMs, arg);
  },
  clearTimer(handle: TimerHandle): void {
    if (handle instanceof LongTimer) handle.clear();
    else clearTimeout(handle as NodeJS.Timeout);
  },
};
