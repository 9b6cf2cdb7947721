/**
 * When to replace a worker that died, and when to give up: pure bookkeeping
 * (the clock is passed in), so it is tested without processes or timers.
 *
 * The wait doubles with every death inside the window (restartDelay, 2×,
 * 4×, ... capped at maxRestartDelay); deaths older than the window are
 * forgotten, so a worker that lived longer than the window starts again from
 * the first delay. More than maxRestarts deaths inside the window is a crash
 * loop.
 *
 * @module
 */

/** The limits a {@link RestartPolicy} applies; times in ms, `windowMs` 0 = deaths never expire. */
export interface RestartLimits {
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
}

/** What to do after a death: restart after `delayMs`, or stop (a crash loop of `deaths` deaths). */
export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number }
  | { readonly restart: false; readonly deaths: number };

/** The restart bookkeeping of one worker slot. */
export class RestartPolicy {
  readonly #limits: RestartLimits;
  /** Times of the deaths still inside the window, oldest first. */
  readonly #deaths: number[] = [];

  constructor(limits: RestartLimits) {
    this.#limits = limits;
  }

  /** Records a death at `now` (ms) and decides. */
  onDeath(now: number): RestartDecision {
    const { restartDelayMs, maxRestartDelayMs, maxRestarts, restartWindowMs } = this.#limits;
    if (restartWindowMs > 0) {
      while (this.#deaths.length > 0 && this.#deaths[0]! <= now - restartWindowMs) this.#deaths.shift();
    }
    this.#deaths.push(now);
    const deaths = this.#deaths.length;
    if (deaths > maxRestarts) return { restart: false, deaths };
    // With a large maxRestarts, 2 ** (deaths − 1) may reach Infinity: the cap takes over (0 × Infinity is NaN).
    const delayMs = restartDelayMs === 0 ? 0 : Math.min(restartDelayMs * 2 ** (deaths - 1), maxRestartDelayMs);
    return { restart: true, delayMs };
  }
}
