/**
 * A timer for any delay: Node's own timers hold at most 2^31 − 1 ms and fire
 * at once (with a warning) beyond that, so longer delays are re-armed in steps.
 *
 * @module
 */

/** The longest delay one Node timer holds. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `callback` after `ms`; returns the function that cancels it. */
export function startTimer(ms: number, callback: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = (left: number): void => {
    const step = Math.min(left, MAX_TIMER_MS);
    timer = setTimeout(() => (left > step ? arm(left - step) : callback()), step);
  };
  arm(Math.max(0, ms));
  return () => clearTimeout(timer);
}
