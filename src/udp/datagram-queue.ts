/**
 * The receive side of a UDP socket as pure code: whole datagrams go in with
 * `push`, receives come out as promises served first come first served, each
 * with its own deadline and `AbortSignal`. A receive that times out or is
 * aborted takes nothing, so no datagram is lost to it. The queue is bounded
 * in datagrams: UDP has no back-pressure, so past the bound new datagrams are
 * dropped (and counted), as the kernel does when its buffer is full.
 *
 * @module
 */
import { realClock, type Clock, type TimerHandle } from "../core/clock.js";
import { TcpError, abortedError, timedOut } from "../core/errors.js";

/** Limits and the errors the queue hands out. */
export interface DatagramQueueOptions {
  /** Datagrams kept while no receive waits; one more is dropped. */
  maxQueued: number;
  /** Receives that may wait at once; one more is rejected. */
  maxPendingReceives: number;
  /** The error of a receive whose deadline passed (`cause`: a timed-out signal's reason). */
  timeoutError: (cause?: unknown) => TcpError;
  /** The deadlines' clock. @default realClock */
  clock?: Clock;
}

/** Per-receive options. */
export interface ReceiveOptions {
  /** Give up when nothing arrives for this long; 0 waits for ever. */
  timeoutMs: number;
  /** Reject with `ERR_ABORTED` when this fires; nothing is taken. */
  signal?: AbortSignal | undefined;
}

interface PendingReceive<T> {
  resolve(value: T): void;
  reject(error: TcpError): void;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** A bounded FIFO of received datagrams with deadline- and abort-aware receives; no I/O. */
export class DatagramQueue<T> {
  readonly #options: DatagramQueueOptions;
  #items: T[] = [];
  #head = 0;
  readonly #pending: PendingReceive<T>[] = [];
  /** A socket error no receive was waiting for: the next receive gets it. */
  #error: TcpError | undefined;
  #terminal: TcpError | undefined;
  #dropped = 0;
  readonly #clock: Clock;

  constructor(options: DatagramQueueOptions) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  /** Datagrams waiting to be received. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Receives waiting for a datagram. */
  get pendingReceives(): number {
    return this.#pending.length;
  }

  /** Datagrams dropped because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#terminal !== undefined;
  }

  /**
   * A datagram arrived. Goes to the oldest waiting receive, else into the
   * queue; returns `false` when it was dropped (queue full or closed).
   */
  push(item: T): boolean {
    if (this.#terminal !== undefined) return false;
    const read = this.#pending.shift();
    if (read !== undefined) {
      this.#settle(read);
      read.resolve(item);
      return true;
    }
    if (this.length >= this.#options.maxQueued) {
      this.#dropped++;
      return false;
    }
    this.#items.push(item);
    return true;
  }

  /**
   * A transient socket error (an ICMP refusal, say): the oldest waiting
   * receive rejects with it, else the next receive after the queued datagrams.
   * Only the latest such error is kept.
   */
  fail(error: TcpError): void {
    if (this.#terminal !== undefined) return;
    const read = this.#pending.shift();
    if (read === undefined) {
      this.#error = error;
      return;
    }
    this.#settle(read);
    read.reject(error);
  }

  /** No more datagrams: queued ones are dropped, every receive rejects with `error`. */
  close(error: TcpError): void {
    if (this.#terminal !== undefined) return;
    this.#terminal = error;
    this.#items = [];
    this.#head = 0;
    this.#error = undefined;
    for (const read of this.#pending.splice(0)) {
      this.#settle(read);
      read.reject(error);
    }
  }

  /** The next queued datagram without waiting, or `undefined` (none queued, or receives wait first). */
  shift(): T | undefined {
    if (this.#terminal !== undefined || this.#pending.length > 0 || this.length === 0) return undefined;
    return this.#shift();
  }

  /** The next datagram, in arrival order. */
  receive(options: ReceiveOptions): Promise<T> {
    if (options.signal?.aborted) return Promise.reject(this.#abortError(options.signal));
    if (this.#terminal !== undefined) return Promise.reject(this.#terminal);
    if (this.#pending.length === 0) {
      if (this.length > 0) return Promise.resolve(this.#shift());
      if (this.#error !== undefined) {
        const error = this.#error;
        this.#error = undefined;
        return Promise.reject(error);
      }
    }
    if (this.#pending.length >= this.#options.maxPendingReceives) {
      return Promise.reject(
        new TcpError(`Too many pending receives (limit ${this.#options.maxPendingReceives})`, {
          code: "ERR_TOO_MANY_PENDING_READS",
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const read: PendingReceive<T> = { resolve, reject, timer: undefined, signal: options.signal, onAbort: undefined };
      if (options.timeoutMs > 0) {
        const timedOut = (): void => this.#drop(read, this.#options.timeoutError());
        read.timer = this.#clock.setTimer(options.timeoutMs, timedOut, undefined);
      }
      if (options.signal !== undefined) {
        const signal = options.signal;
        read.onAbort = () => this.#drop(read, this.#abortError(signal));
        signal.addEventListener("abort", read.onAbort, { once: true });
      }
      this.#pending.push(read);
    });
  }

  /** A receive's abort: a time-out when the signal timed out (`AbortSignal.timeout()`). */
  #abortError(signal: AbortSignal): TcpError {
    return timedOut(signal) ? this.#options.timeoutError(signal.reason) : abortedError(signal);
  }

  #shift(): T {
    const item = this.#items[this.#head]!;
    this.#head++;
    // Compact now and then so the array does not grow without bound.
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Removes a receive that gave up (time-out, abort) without taking anything. */
  #drop(read: PendingReceive<T>, error: TcpError): void {
    const index = this.#pending.indexOf(read);
    if (index === -1) return;
    this.#pending.splice(index, 1);
    this.#settle(read);
    read.reject(error);
  }

  /** Clears the deadline and the abort listener of a receive that is leaving. */
  #settle(read: PendingReceive<T>): void {
    if (read.timer !== undefined) this.#clock.clearTimer(read.timer);
    if (read.onAbort !== undefined) read.signal?.removeEventListener("abort", read.onAbort);
  }
}
