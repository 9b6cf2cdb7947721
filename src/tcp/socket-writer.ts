/**
 * Promise-based writes on a socket: all or error, in call order, with a
 * write time-out that fires only when the kernel takes no bytes for that
 * long, and a bound on bytes queued in user space.
 *
 * @module
 */
import type { Socket } from "node:net";
import { toBuffer, type ByteData } from "../core/bytes.js";
import { realClock, type Clock, type TimerHandle } from "../core/clock.js";
import { Messages, TcpError, WriteTimeoutError, alreadyClosed, withCause } from "../core/errors.js";

/**
 * Hears how a write made with {@link SocketWriter.writeFor} ended: one object
 * for all its writes, so a write costs no promise and no closure.
 */
export interface WriteSink {
  /** The write is done (`error` undefined), or failed. */
  writeSettled(error: TcpError | undefined): void;
}

interface PendingWrite {
  resolve(): void;
  reject(error: TcpError): void;
  /** Set for {@link SocketWriter.writeFor}; then `resolve` and `reject` are not used. */
  sink: WriteSink | undefined;
  settled: boolean;
}

function ignore(): void {}

/**
 * Whether writes on `socket` usually complete within `write()`. Plain TCP
 * writes do, and a callback then costs Node a tick per write; TLS writes
 * complete later (after encryption), when a callback costs nothing extra
 * but a write queued behind to learn of completion would.
 */
export function writesCompleteAtOnce(socket: Socket): boolean {
  return (socket as { encrypted?: boolean }).encrypted !== true;
}

/**
 * Returned for every write the kernel took at once: no promise to build or
 * settle later. Callers may compare with it: such a write cannot fail later.
 */
export const WRITTEN: Promise<void> = Promise.resolve();

/**
 * Written behind a write made without a callback when the kernel did not take
 * it all at once: its callback runs when that write is done, or with its error.
 */
const EMPTY = Buffer.alloc(0);

export interface SocketWriterOptions {
  /** No progress for this long rejects every pending write and destroys the socket; 0 = never. */
  writeTimeoutMs: number;
  /** A write that would queue more than this many unflushed bytes is refused up front. */
  maxQueuedBytes: number;
  /** The time-out's clock. @default realClock */
  clock?: Clock;
}

export class SocketWriter {
  #socket: Socket;
  readonly #options: SocketWriterOptions;
  /** Writes in {@link #inFlight} not settled yet (a close settles them before their callbacks run). */
  #unsettled = 0;
  /** One entry per `socket.write` made with a callback that has not run, in call order (callbacks run in that order). */
  readonly #inFlight: PendingWrite[] = [];
  #tryWithoutCallback: boolean;
  /**
   * The progress timer. It is not cleared when the last pending write completes
   * (that cost a timer per write on TLS, where every write completes later):
   * it is unref'd, and lapses when it fires with nothing pending. A write made
   * while it is still armed from earlier writes gets at least a full period:
   * those writes' completions count as progress when it fires, and it re-arms.
   */
  #timer: TimerHandle | undefined;
  #timerRefed = false;
  readonly #clock: Clock;
  #queuedAtArm = 0;
  #unsentAtArm: number | undefined;
  #completedAtArm = 0;
  #completed = 0;
  #closed = false;
  /**
   * Why later writes fail: the error given to close(), or "already closed",
   * made only when first needed. An Error captures a stack trace, and a
   * listener closes a writer per connection: making it eagerly cost about
   * 10 % of a churning server's CPU.
   */
  #closedError: TcpError | undefined;

  constructor(socket: Socket, options: SocketWriterOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#tryWithoutCallback = writesCompleteAtOnce(socket);
  }

  /**
   * Sends later writes to `socket`: the TLS socket a STARTTLS upgrade made
   * over the one this writer had. Writes still in flight finish on the old
   * socket first (Node sends them before any TLS byte), in order.
   */
  rebind(socket: Socket): void {
    this.#socket = socket;
    this.#tryWithoutCallback = writesCompleteAtOnce(socket);
  }

  /** Resolves once every byte of `data` is handed to the kernel. */
  write(data: ByteData): Promise<void> {
    const buffer = this.#admit(data);
    if (buffer instanceof TcpError) return Promise.reject(buffer);
    const rest = this.#tryAtOnce(buffer);
    if (rest === undefined) return WRITTEN;
    return new Promise<void>((resolve, reject) => this.#track(rest, { resolve, reject, sink: undefined, settled: false }));
  }

  /**
   * {@link write} for the listener's write-backs, without a promise: `true`
   * when the kernel took it all at once (`sink` hears nothing); otherwise
   * `sink` hears when it is done or failed (a refusal too, in a microtask, as
   * a rejection would arrive). Same order, limits and time-out as `write`.
   */
  writeFor(data: ByteData, sink: WriteSink): boolean {
    const buffer = this.#admit(data);
    if (buffer instanceof TcpError) {
      queueMicrotask(() => sink.writeSettled(buffer));
      return false;
    }
    const rest = this.#tryAtOnce(buffer);
    if (rest === undefined) return true;
    this.#track(rest, { resolve: ignore, reject: ignore, sink, settled: false });
    return false;
  }

  /** `data` as bytes, or why it is refused (closed, not bytes, too much unsent). */
  #admit(data: ByteData): Buffer | TcpError {
    if (this.#closed) return this.#whyClosed();
    let buffer: Buffer;
    try {
      buffer = toBuffer(data);
    } catch (error) {
      return TcpError.wrap(error);
    }
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) return alreadyClosed();
    const queued = socket.writableLength;
    if (queued > 0 && queued + buffer.length > this.#options.maxQueuedBytes) {
      return new TcpError(
        `Write refused: ${queued} bytes are still unsent (limit ${this.#options.maxQueuedBytes}); await earlier writes first`,
        { code: "ERR_WRITE_BUFFER_FULL" },
      );
    }
    return buffer;
  }

  /**
   * When nothing waits before it, tries `buffer` without a callback (a callback
   * costs a tick and an allocation per write). `undefined` when the kernel took
   * it all (nothing left buffered, no error): done, call order holds, no timer
   * is needed. Otherwise what to write with a callback: `buffer` itself, or an
   * empty write behind it when it was tried but not all taken.
   */
  #tryAtOnce(buffer: Buffer): Buffer | undefined {
    const socket = this.#socket;
    if (!this.#tryWithoutCallback || this.#unsettled !== 0 || socket.writableLength !== 0) return buffer;
    socket.write(buffer);
    if (socket.writableLength === 0 && socket.errored == null) return undefined;
    return EMPTY;
  }

  /** Writes `buffer` with the shared callback; `pending` is settled when it is done. */
  #track(buffer: Buffer, pending: PendingWrite): void {
    this.#unsettled++;
    this.#inFlight.push(pending);
    this.#writeCallback ??= (error) => this.#onWriteCallback(error);
    this.#socket.write(buffer, this.#writeCallback);
    this.#armTimer();
  }

  /** Why writes are refused now (a write time-out, a close), if they are. */
  get closedError(): TcpError | undefined {
    return this.#closed ? this.#whyClosed() : undefined;
  }

  /** Rejects every pending and later write with `error` (default: already closed); the socket is going away. */
  close(error?: TcpError): void {
    if (!this.#closed) {
      this.#closed = true;
      this.#closedError = error;
    }
    this.#clearTimer();
    // The entries stay in #inFlight: their callbacks still come, and find them settled.
    for (const pending of this.#inFlight) this.#settle(pending, this.#whyClosed());
  }

  /**
   * The one callback of every tracked `socket.write`, made on the first (a
   * listener has a writer per connection, and most never need one).
   */
  #writeCallback: ((error: Error | null | undefined) => void) | undefined;

  #onWriteCallback(error: Error | null | undefined): void {
    const pending = this.#inFlight.shift();
    if (pending !== undefined) this.#onWritten(pending, error);
  }

  #onWritten(pending: PendingWrite, error: Error | null | undefined): void {
    this.#completed++;
    // Node calls back without an error for a write still in flight when the socket was
    // destroyed (a peer's reset, say): its bytes did not all reach the kernel.
    if (error || this.#socket.destroyed) {
      const closed = this.#closed ? this.#whyClosed() : this.#socket.destroyed ? alreadyClosed() : undefined;
      this.#settle(pending, closed ?? new TcpError(withCause(Messages.writeFailed, error), { code: "ERR_WRITE", cause: error }));
    } else {
      this.#settle(pending, undefined);
    }
    if (this.#unsettled === 0 && this.#timerRefed) {
      this.#timer!.unref();
      this.#timerRefed = false;
    }
  }

  #whyClosed(): TcpError {
    this.#closedError ??= alreadyClosed();
    return this.#closedError;
  }

  #settle(pending: PendingWrite, error: TcpError | undefined): void {
    if (pending.settled) return;
    pending.settled = true;
    this.#unsettled--;
    if (pending.sink !== undefined) pending.sink.writeSettled(error);
    else if (error === undefined) pending.resolve();
    else pending.reject(error);
  }

  #armTimer(): void {
    if (this.#options.writeTimeoutMs <= 0) return;
    if (this.#timer !== undefined) {
      if (!this.#timerRefed) {
        this.#timer.ref();
        this.#timerRefed = true;
      }
      return;
    }
    this.#queuedAtArm = this.#socket.writableLength;
    this.#unsentAtArm = unsentInFlight(this.#socket);
    this.#completedAtArm = this.#completed;
    this.#timer = this.#clock.setTimer(this.#options.writeTimeoutMs, SocketWriter.#fire, this);
    this.#timerRefed = true;
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#timerRefed = false;
  }

  /** The timer's callback, shared by all writers (no closure per writer). */
  static #fire(writer: SocketWriter): void {
    writer.#onTimer();
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerRefed = false;
    if (this.#unsettled === 0) return;
    const unsent = unsentInFlight(this.#socket);
    const progressed =
      this.#completed !== this.#completedAtArm ||
      this.#socket.writableLength < this.#queuedAtArm ||
      (unsent !== undefined && this.#unsentAtArm !== undefined && unsent < this.#unsentAtArm);
    if (progressed) {
      this.#armTimer();
      return;
    }
    // An unknown prefix of the data is on the wire: the stream cannot be reused.
    this.close(new WriteTimeoutError());
    this.#socket.destroy();
  }
}

/**
 * The bytes of the write in flight that the kernel has not taken yet, when
 * the socket's handle tells (libuv's write queue size; Node's own socket
 * time-out reads the same field to see write progress). `writableLength`
 * alone moves only when a whole write completes, so one large write to a
 * slow but steady reader would look stalled. Only one write is in flight at a
 * time, so between completions this only shrinks.
 */
function unsentInFlight(socket: Socket): number | undefined {
  const size = (socket as unknown as { _handle?: { writeQueueSize?: unknown } | null })._handle?.writeQueueSize;
  return typeof size === "number" ? size : undefined;
}
