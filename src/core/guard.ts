/**
 * Running user callbacks so that nothing they throw or reject can take the
 * process down: failures go to the `tcpkit:error` diagnostics channel.
 *
 * @module
 */
import { channels, publish } from "./diagnostics.js";

/** Whether `value` has a `then` method (a promise from any realm or library). */
export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === "object" && typeof (value as PromiseLike<T>).then === "function";
}

/** Runs `callback`; a throw or a rejection is published, never rethrown. */
export function guarded(id: string | undefined, callback: () => unknown): void {
  const report = (error: unknown): void => publish(channels.error, () => ({ id, error }));
  try {
    const result = callback();
    if (isThenable(result)) result.then(undefined, report);
  } catch (error) {
    report(error);
  }
}

/**
 * Hands `error` to `handler` (guarded); with no handler it goes to the
 * `tcpkit:error` channel, so an error is never silently dropped.
 */
export function deliverError<E>(id: string | undefined, error: E, handler: ((error: E) => unknown) | undefined): void {
  if (handler === undefined) publish(channels.error, () => ({ id, error }));
  else guarded(id, () => handler(error));
}
