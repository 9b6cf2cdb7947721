/**
 * A timer for any delay: Node's own timers hold at most 2^31 − 1 ms and fire
 * at once (with a warning) beyond that, so longer delays are re-armed in steps.
 *
 * @module
 */
import { TcpError } from "./errors.js";

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

/**
 * A time limit in seconds to ms for {@link startTimer}: `>= 0`, with `0` and
 * `Infinity` both meaning no limit (`0`). Anything else (NaN, negative, not a
 * number) is a `TcpError` with code `ERR_INVALID_ARGUMENT` naming `name`.
 */
export function limitToMs(seconds: unknown, name: string): number {
  if (seconds === undefined || seconds === Infinity) return 0;
  if (typeof seconds !== "number" || Number.isNaN(seconds) || seconds < 0) {
    throw new TcpError(`${name} must be a number of seconds >= 0, got ${String(seconds)}`, { code: "ERR_INVALID_ARGUMENT" });
  }
  return Math.round(seconds * 1000);
}
