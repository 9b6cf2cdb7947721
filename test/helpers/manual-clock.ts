/**
 * A clock for pure unit tests: time moves only when the test calls
 * `advance`, and timers fire in due order, each at its own due time.
 */
import type { Clock, TimerHandle } from "../../src/core/clock.js";

interface ManualTimer extends TimerHandle {
  readonly due: number;
  readonly seq: number;
  readonly fire: () => void;
  cleared: boolean;
}

export class ManualClock implements Clock {
  #now = 0;
  #seq = 0;
  readonly #timers = new Set<ManualTimer>();

  now(): number {
    return this.#now;
  }

  setTimer<A>(delayMs: number, callback: (arg: A) => void, arg: A): TimerHandle {
    const timer: ManualTimer = {
      due: this.#now + Math.max(1, delayMs),
      seq: this.#seq++,
      fire: () => callback(arg),
      cleared: false,
      ref: () => timer,
      unref: () => timer,
    };
    this.#timers.add(timer);
    return timer;
  }

  clearTimer(handle: TimerHandle): void {
    const timer = handle as ManualTimer;
    timer.cleared = true;
    this.#timers.delete(timer);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time on by `ms`, firing every timer that falls due on the way (at its due time). */
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.#timers) {
        if (timer.due <= until && (next === undefined || timer.due < next.due || (timer.due === next.due && timer.seq < next.seq))) {
          next = timer;
        }
      }
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = next.due;
      next.fire();
    }
    this.#now = until;
  }
}
