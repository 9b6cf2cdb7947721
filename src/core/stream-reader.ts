/**
 * The read side of a connection as pure code: received bytes go in with
 * `push`, reads (`next chunk`, `exactly n`, `until delimiter`) come out as
 * promises, served first come first served, each with its own deadline and
 * `AbortSignal`. A read that times out or is aborted takes no bytes, so none
 * are lost. A frame read asks a {@link FrameSource} (the framing layer's
 * `FrameReader` over this reader's queue) for the next whole frame. The socket layer feeds it and follows `onFlowChange` to pause and
 * resume the socket, which bounds what is buffered.
 *
 * @module
 */
import { ByteQueue } from "./byte-queue.js";
import { realClock, type Clock, type TimerHandle } from "./clock.js";
import { ReadTimeoutError, TcpError, readAbortedError } from "./errors.js";

/**
 * Finds whole frames in the reader's {@link StreamReader.queue} and removes
 * exactly their bytes; the framing layer's `FrameReader` is one. Defined here
 * so the core does not depend on the framing layer.
 */
export interface FrameSource {
  /**
   * The next whole frame, removed from the queue, or `undefined` when more
   * bytes are needed.
   *
   * @throws TcpError when the bytes can never make a frame (`ERR_FRAME_TOO_LONG`,
   * a protocol error); no byte is removed then.
   */
  next(): { readonly frame: unknown } | undefined;
}

/** What one read asks for. */
export type ReadRequest = ByteRequest | FrameRequest;

/** A read that resolves with bytes. */
export type ByteRequest =
  | { readonly kind: "chunk" }
  | { readonly kind: "exactly"; readonly length: number }
  | { readonly kind: "until"; readonly delimiter: Uint8Array; readonly maxLength: number };

/** A read that resolves with the next frame of `source`. */
export interface FrameRequest {
  readonly kind: "frame";
  readonly source: FrameSource;
}

/** What a request took: bytes, or a frame (wrapped, since a frame may be any value). */
type Taken = Buffer | { readonly frame: unknown };

/** Per-read options. */
export interface ReadOptions {
  /** Give up when no byte arrives for this long; 0 waits for ever. */
  timeoutMs: number;
  /** Reject with `ERR_ABORTED` (a `ReadTimeoutError` for `AbortSignal.timeout()`) when this fires; no bytes are taken. */
  signal?: AbortSignal | undefined;
}

/** Limits and the hook the socket layer follows. */
export interface StreamReaderOptions {
  /** Stop reading from the socket when this many bytes wait and no read wants them. */
  highWaterMark: number;
  /** Reads that may wait at once; one more is rejected. */
  maxPendingReads: number;
  /** Called with `false` when the socket should pause, `true` when it may read again. */
  onFlowChange?: (flowing: boolean) => void;
  /** The deadlines' clock. @default realClock */
  clock?: Clock;
  /**
   * Whether the deadline timer holds the process open while a read waits.
   * A socket's reader passes `false`: a waiting read makes the socket read,
   * and a reading socket holds the process open already (during a client's
   * STARTTLS the plain socket is paused, and the TLS handshake reading on it
   * does); toggling the timer's ref per read cost two calls into Node's
   * timer list per round trip.
   * @default true
   */
  timerHoldsProcess?: boolean;
}

/**
 * A read that waits. A class rather than an object literal so every record
 * has one shape; it holds the promise's own resolve and reject (captured
 * without a closure per read, see {@link capture}).
 */
class PendingRead {
  readonly request: ReadRequest;
  readonly timeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: TcpError) => void;
  /** When this read gives up (clock ms); 0 for never. */
  deadline = 0;
  /** `received` when the deadline was last armed: progress re-arms it. */
  receivedAtArm: number;
  /** For `until`: where the next delimiter search starts. */
  searchFrom = 0;
  onAbort: (() => void) | undefined = undefined;

  constructor(request: ReadRequest, options: ReadOptions, receivedAtArm: number) {
    this.request = request;
    this.timeoutMs = options.timeoutMs;
    this.signal = options.signal;
    this.resolve = capturedResolve!;
    this.reject = capturedReject!;
    this.receivedAtArm = receivedAtArm;
  }
}

/**
 * The executor of every waiting read's promise: it stores the promise's
 * functions here for the {@link PendingRead} made next, so a read costs no
 * closure (the executor runs synchronously inside `new Promise`).
 */
let capturedResolve: ((value: unknown) => void) | undefined;
let capturedReject: ((error: TcpError) => void) | undefined;
function capture(resolve: (value: unknown) => void, reject: (error: TcpError) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** Why no more bytes will come, once that is known. */
type Terminal = { readonly kind: "end" | "error" | "closed"; readonly error: TcpError };

export class StreamReader {
  readonly #queue = new ByteQueue();
  readonly #pending: PendingRead[] = [];
  readonly #options: StreamReaderOptions;
  #terminal: Terminal | undefined;
  #flowing = true;
  /** Bytes pushed so far; the deadlines compare it to see progress. */
  #received = 0;
  /**
   * One timer for all deadlines, armed for the earliest. It is not cleared when
   * reads complete (that would cost a timer per read): when it fires with
   * nothing due it re-arms for what is pending or lapses. While no read waits
   * (or always, with `timerHoldsProcess: false`) it is unref'd, so an idle
   * reader holds nothing open.
   */
  #timer: TimerHandle | undefined;
  #timerRefed = false;
  readonly #clock: Clock;
  /** When {@link #timer} fires (clock ms). */
  #timerAt = 0;
  /** The read whose deadline the timer was armed for: when it fires, that read is due. */
  #timerOwner: PendingRead | undefined;

  constructor(options: StreamReaderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? realClock;
  }

  /** Bytes waiting to be read. */
  get buffered(): number {
    return this.#queue.length;
  }

  /**
   * @internal The queue of received bytes, for the framing layer's
   * `FrameReader`, which only peeks and removes whole frames.
   */
  get queue(): ByteQueue {
    return this.#queue;
  }

  /**
   * Removes and returns every buffered byte, for a STARTTLS upgrade that
   * hands them to the TLS layer. Only while no read waits.
   */
  takeBuffered(): Buffer {
    if (this.#pending.length > 0) throw new RangeError("takeBuffered() while reads are pending");
    const bytes = this.#queue.take(this.#queue.length);
    this.#updateFlow();
    return bytes;
  }

  /** Reads waiting for bytes. */
  get pendingReads(): number {
    return this.#pending.length;
  }

  /** Whether the peer's end, an error or a local close has been seen. */
  get done(): boolean {
    return this.#terminal !== undefined;
  }

  /** Feeds bytes that arrived. */
  push(chunk: Buffer): void {
    if (this.#terminal?.kind === "closed") return;
    this.#queue.push(chunk);
    this.#received += chunk.length;
    this.#serve();
    this.#updateFlow();
  }

  /**
   * No more bytes will arrive. Queued bytes stay readable; reads that cannot
   * be served from them reject with `error`.
   */
  end(error: TcpError): void {
    this.#finish({ kind: "end", error });
  }

  /** Like {@link end}, for a socket error. */
  fail(error: TcpError): void {
    this.#finish({ kind: "error", error });
  }

  /** A local close: queued bytes are dropped and every read rejects with `error`. */
  close(error: TcpError): void {
    if (this.#terminal?.kind === "closed") return;
    this.#terminal = { kind: "closed", error };
    this.#queue.clear();
    for (const read of this.#pending.splice(0)) this.#settle(read, undefined, error);
    this.#stopTimer();
  }

  /** Starts a read; it resolves with the bytes (or the frame) or rejects with a `TcpError`. */
  read(request: ByteRequest, options: ReadOptions): Promise<Buffer>;
  read(request: FrameRequest, options: ReadOptions): Promise<unknown>;
  read(request: ReadRequest, options: ReadOptions): Promise<unknown> {
    if (options.signal?.aborted) return Promise.reject(readAbortedError(options.signal));
    if (this.#pending.length === 0) {
      const value = this.#tryTake(request);
      if (value !== undefined) {
        this.#updateFlow();
        return value instanceof TcpError ? Promise.reject(value) : Promise.resolve(valueOf(request, value));
      }
      if (this.#terminal !== undefined) return Promise.reject(this.#terminal.error);
    } else if (this.#terminal?.kind === "closed") {
      return Promise.reject(this.#terminal.error);
    }
    if (this.#pending.length >= this.#options.maxPendingReads) {
      return Promise.reject(
        new TcpError(`Too many pending reads (limit ${this.#options.maxPendingReads})`, {
          code: "ERR_TOO_MANY_PENDING_READS",
        }),
      );
    }
    const promise = new Promise<unknown>(capture);
    const read = new PendingRead(request, options, this.#received);
    capturedResolve = capturedReject = undefined;
    if (read.timeoutMs > 0) {
      read.deadline = this.#clock.now() + read.timeoutMs;
      this.#armFor(read, read.timeoutMs);
    }
    if (read.signal !== undefined) {
      const signal = read.signal;
      read.onAbort = () => this.#drop(read, readAbortedError(signal));
      signal.addEventListener("abort", read.onAbort, { once: true });
    }
    this.#pending.push(read);
    // A waiting read lets the socket flow; it could only have been paused with no read waiting.
    if (!this.#flowing) this.#updateFlow();
    return promise;
  }

  #finish(terminal: Terminal): void {
    if (this.#terminal !== undefined) return;
    this.#terminal = terminal;
    this.#serve();
    for (const read of this.#pending.splice(0)) this.#settle(read, undefined, terminal.error);
    this.#stopTimer();
  }

  /** Serves waiting reads in order while the queue can satisfy the head. */
  #serve(): void {
    while (this.#pending.length > 0) {
      const read = this.#pending[0]!;
      const value = this.#tryTake(read.request, read);
      if (value === undefined) return;
      this.#pending.shift();
      if (value instanceof TcpError) this.#settle(read, undefined, value);
      else this.#settle(read, valueOf(read.request, value), undefined);
    }
    this.#releaseTimer();
  }

  /**
   * Bytes (or a frame) for `request` if the queue holds enough, a `TcpError`
   * if the request can never be met as asked, or `undefined` to keep waiting.
   */
  #tryTake(request: ReadRequest, read?: PendingRead): Taken | TcpError | undefined {
    const queue = this.#queue;
    switch (request.kind) {
      case "chunk":
        return queue.shiftChunk();
      case "exactly":
        if (request.length === 0) return Buffer.alloc(0);
        return queue.length >= request.length ? queue.take(request.length) : undefined;
      case "until": {
        const d = request.delimiter.length;
        const at = queue.indexOf(request.delimiter, read?.searchFrom ?? 0);
        if (at !== -1 && at + d <= request.maxLength) return queue.take(at + d);
        if (at !== -1 || queue.length >= request.maxLength) {
          return new TcpError(
            `No delimiter within maxLength (${request.maxLength} bytes); the bytes stay buffered`,
            { code: "ERR_MAX_LENGTH" },
          );
        }
        if (read !== undefined) read.searchFrom = Math.max(0, queue.length - d + 1);
        return undefined;
      }
      case "frame":
        try {
          return request.source.next();
        } catch (error) {
          return TcpError.wrap(error);
        }
    }
  }

  /** Arms the timer for `read`, due in `delayMs`, unless it fires sooner already. */
  #armFor(read: PendingRead, delayMs: number): void {
    const deadline = read.deadline;
    if (this.#timer !== undefined) {
      if (this.#timerAt <= deadline) {
        if (!this.#timerRefed && this.#options.timerHoldsProcess !== false) {
          this.#timer.ref();
          this.#timerRefed = true;
        }
        return;
      }
      this.#clock.clearTimer(this.#timer);
    }
    this.#timerAt = deadline;
    this.#timerOwner = read;
    this.#timer = this.#clock.setTimer(delayMs, StreamReader.#fire, this);
    if (this.#options.timerHoldsProcess === false) this.#timer.unref();
    else this.#timerRefed = true;
  }

  /** No read waits: the timer may stay armed but must not keep the process alive. */
  #releaseTimer(): void {
    if (this.#timerRefed && this.#pending.length === 0) {
      this.#timer!.unref();
      this.#timerRefed = false;
    }
  }

  #stopTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerOwner = undefined;
    this.#timerRefed = false;
  }

  /** The timer's callback, shared by all readers (no closure per reader). */
  static #fire(reader: StreamReader): void {
    reader.#onTimer();
  }

  /** Times out the reads that are due, then re-arms for the earliest left. */
  #onTimer(): void {
    this.#timer = undefined;
    this.#timerRefed = false;
    const owner = this.#timerOwner;
    this.#timerOwner = undefined;
    const now = this.#clock.now();
    let next: PendingRead | undefined;
    let nextDelayMs = 0;
    for (const read of [...this.#pending]) {
      // Skip reads without a deadline, and those served meanwhile (dropping a head read serves those behind).
      if (read.deadline === 0 || !this.#pending.includes(read)) continue;
      let delayMs: number;
      // The read the timer was armed for is due by the timer's own clock; others by ours.
      if (read !== owner && read.deadline > now) {
        delayMs = Math.max(1, Math.ceil(read.deadline - now));
      } else if (this.#received !== read.receivedAtArm && read.request.kind !== "chunk") {
        // Bytes arrived but not yet enough: the deadline counts from the last progress.
        read.receivedAtArm = this.#received;
        read.deadline = now + read.timeoutMs;
        delayMs = read.timeoutMs;
      } else {
        this.#drop(read, new ReadTimeoutError());
        continue;
      }
      if (next === undefined || read.deadline < next.deadline) {
        next = read;
        nextDelayMs = delayMs;
      }
    }
    if (next !== undefined) this.#armFor(next, nextDelayMs);
  }

  /** Removes a read that gave up (time-out, abort) without taking bytes. */
  #drop(read: PendingRead, error: TcpError): void {
    const index = this.#pending.indexOf(read);
    if (index === -1) return;
    this.#pending.splice(index, 1);
    this.#settle(read, undefined, error);
    // The reads behind it may be servable from what is buffered already.
    if (index === 0) this.#serve();
    this.#releaseTimer();
    this.#updateFlow();
  }

  #settle(read: PendingRead, value: unknown, error: TcpError | undefined): void {
    if (read.onAbort !== undefined) read.signal?.removeEventListener("abort", read.onAbort);
    if (error !== undefined) read.reject(error);
    else read.resolve(value);
  }

  #updateFlow(): void {
    const flowing =
      this.#terminal === undefined &&
      (this.#pending.length > 0 || this.#queue.length < this.#options.highWaterMark);
    if (flowing === this.#flowing) return;
    this.#flowing = flowing;
    this.#options.onFlowChange?.(flowing);
  }
}

/** What a read resolves with: the bytes, or the frame unwrapped. */
function valueOf(request: ReadRequest, taken: Taken): unknown {
  return request.kind === "frame" ? (taken as { readonly frame: unknown }).frame : taken;
}
