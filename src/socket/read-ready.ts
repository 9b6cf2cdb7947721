/**
 * Calls a 1.2.0 service's `onReadReady(caller)` when its socket has something
 * to read: at most once at a time per connection, again only after progress
 * (bytes read, new bytes, the end of the stream), so a handler that leaves
 * bytes unread is not called in a busy loop.
 *
 * @module
 */
import { isThenable } from "../core/guard.js";

/** What the dispatcher watches and calls. */
export interface ReadReadySource {
  /** Whether there is something to read and no read is waiting. */
  readonly readable: boolean;
  /** Moves on every change (bytes in, bytes out, end). */
  readonly version: number;
}

/** Runs `onReadReady` for one connection, at most once at a time, only after progress. */
export class ReadReadyDispatcher {
  readonly #source: ReadReadySource;
  readonly #onReadReady: (() => unknown) | undefined;
  readonly #onError: (error: unknown) => void;
  #running = false;
  #stopped = false;
  #idle: (() => void)[] = [];

  constructor(source: ReadReadySource, onReadReady: (() => unknown) | undefined, onError: (error: unknown) => void) {
    this.#source = source;
    this.#onReadReady = onReadReady;
    this.#onError = onError;
  }

  /** Runs `task` (say `onConnect`) with no `onReadReady` beside it, then dispatches what is due. */
  runFirst(task: () => unknown): void {
    this.#run(task);
  }

  /** Something changed: call `onReadReady` if it is due and none runs. */
  poke(): void {
    if (!this.#running && !this.#stopped && this.#onReadReady !== undefined && this.#source.readable) {
      this.#run(this.#onReadReady);
    }
  }

  /** No more calls (the connection is gone or the listener stops). */
  stop(): void {
    this.#stopped = true;
  }

  /** Resolves once no handler runs and none is due. */
  whenIdle(): Promise<void> {
    if (!this.#running) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #run(task: () => unknown): void {
    this.#running = true;
    const before = this.#source.version;
    let result: unknown;
    try {
      result = task();
    } catch (error) {
      this.#onError(error);
      this.#finish(before);
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => this.#finish(before),
        (error: unknown) => {
          this.#onError(error);
          this.#finish(before);
        },
      );
    } else {
      this.#finish(before);
    }
  }

  #finish(before: number): void {
    this.#running = false;
    const progressed = this.#source.version !== before;
    if (progressed && !this.#stopped && this.#onReadReady !== undefined && this.#source.readable) {
      this.#run(this.#onReadReady);
      return;
    }
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
