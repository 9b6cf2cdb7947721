/**
 * One stop of a listener in progress: the connections open when it began,
 * drained gracefully, forced (destroyed) by `immediateStop()` or a time-out,
 * or both in turn. Any number of `gracefulStop()` / `immediateStop()` calls
 * share it and resolve together.
 *
 * @module
 */
import type { Server } from "node:net";
import { realClock, type TimerHandle } from "../core/clock.js";
import type { ServiceConnection } from "./connection.js";

/** @internal A listener's stop in progress (graceful, with its time-out, or forced). */
export class ListenerStop {
  readonly #connections: readonly ServiceConnection[];
  #draining = false;
  #forced = false;
  readonly #timers: TimerHandle[] = [];
  /** Resolves when every connection has run its `onClose` and the server is closed. */
  readonly done: Promise<void>;

  /** Stops `server` accepting; `connections` are those open now. */
  constructor(server: Server, connections: readonly ServiceConnection[]) {
    this.#connections = connections;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    this.done = Promise.all([...connections.map((connection) => connection.finished), closed]).then(() => {
      for (const timer of this.#timers) realClock.clearTimer(timer);
    });
  }

  /**
   * Drains every connection (no new bytes, the handler in flight finishes,
   * its reply is flushed); with `timeoutMs > 0`, forces the stop when that
   * much time has passed first.
   */
  drain(timeoutMs: number): void {
    if (!this.#draining && !this.#forced) {
      this.#draining = true;
      for (const connection of this.#connections) void connection.stop();
    }
    if (timeoutMs > 0 && !this.#forced) {
      // The clock re-arms a delay past a Node timer's range, so a long time-out never fires early.
      this.#timers.push(realClock.setTimer(timeoutMs, (stop: ListenerStop) => stop.force(), this));
    }
  }

  /**
   * Destroys every connection still open, whatever it is waiting for (a
   * handler that never settles, a peer that never reads); each `onClose`
   * still runs once.
   */
  force(): void {
    if (this.#forced) return;
    this.#forced = true;
    for (const timer of this.#timers) realClock.clearTimer(timer);
    for (const connection of this.#connections) void connection.destroyNow();
  }
}
