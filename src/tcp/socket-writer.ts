/**
 * Promise-based writes on a socket: all or error, in call order, with a
 * write time-out that fires only when the kernel takes no bytes for that
 * long, and a bound on bytes queued in user space.
 *
 * Progress is what the kernel took. Node's socket handle tells how much of
 * the write in flight is still unsent; where a socket does not (Bun, Deno),
 * writes go to it one slice at a time, each slice after the one before has
 * been taken, so every slice taken is a completion the time-out counts.
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

/**
 * A write waiting for completion: one made by {@link SocketWriter.write}
 * (its promise's functions), or any write in sliced mode (a write-back's
 * sink then). A write-back in flight otherwise is just its sink: no record.
 */
class PendingWrite {
  readonly resolve: () => void;
  readonly reject: (error: TcpError) => void;
  /** A write-back's sink (sliced mode only); then `resolve` and `reject` are not used. */
  readonly sink: WriteSink | undefined;
  settled = false;

  constructor(resolve: () => void, reject: (error: TcpError) => void, sink: WriteSink | undefined) {
    this.resolve = resolve;
    this.reject = reject;
    this.sink = sink;
  }
}

/** What waits for a `socket.write` callback: a promise write's record, or a write-back's sink. */
type InFlight = PendingWrite | WriteSink;

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

/**
 * Bytes per write when the socket does not tell its progress: the least the
 * peer must take per write time-out period (and one socket read's worth).
 */
export const SLICE_BYTES = 64 * 1024;

/** A write waiting, in sliced mode, for its remaining slices to go to the socket. */
interface Sliced {
  readonly pending: PendingWrite;
  readonly buffer: Buffer;
  /** Bytes of `buffer` already handed to the socket. */
  offset: number;
}

export interface SocketWriterOptions {
  /** No progress for this long rejects every pending write and destroys the socket; 0 = never. */
  writeTimeoutMs: number;
  /** A write that would queue more than this many unflushed bytes is refused up front. */
  maxQueuedBytes: number;
  /** The time-out's clock. @default realClock */
  clock?: Clock;
  /**
   * Write in slices even where the socket reports its unsent bytes (tests use
   * it to run the Bun/Deno path on Node). Default: only where it does not.
   */
  slices?: boolean;
}

export class SocketWriter {
  #socket: Socket;
  readonly #options: SocketWriterOptions;
  /** Writes not settled yet (in flight or in the backlog). */
  #unsettled = 0;
  /**
   * One entry per `socket.write` made with a callback, in call order (callbacks
   * run in that order), until its callback runs or a close settles it.
   */
  readonly #inFlight: InFlight[] = [];
  #tryWithoutCallback: boolean;
  /**
   * Set when the socket does not report how much of a write is unsent: then
   * every tracked write waits in {@link #backlog} and goes out a slice at a
   * time ({@link #pump}), and {@link end} waits for the backlog.
   */
  #sliced: boolean;
  readonly #backlog: Sliced[] = [];
  /** Bytes in the backlog not yet handed to the socket (they count against maxQueuedBytes). */
  #backlogBytes = 0;
  #sliceInFlight = false;
  #sliceCallback: ((error: Error | null | undefined) => void) | undefined;
  /** The callbacks of {@link end} calls waiting for the backlog; undefined when none waits. */
  #endWaiting: Array<((error?: Error | null) => void) | undefined> | undefined;
  /**
   * The progress timer. It is not cleared when the last pending write completes
   * (that cost a timer per write on TLS, where every write completes later):
   * it lapses when it fires with nothing pending. A write made while it is
   * still armed from earlier writes gets at least a full period: those
   * writes' completions count as progress when it fires, and it re-arms.
   * It is always unref'd: a write still in flight is a pending write request
   * of the event loop, which holds the process open by itself (and a write
   * waiting behind it waits for that one); toggling the timer's ref per write
   * cost two calls into Node's timer list per TLS write-back.
   */
  #timer: TimerHandle | undefined;
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
   * 8–10 % of a churning server's CPU.
   */
  #closedError: TcpError | undefined;

  constructor(socket: Socket, options: SocketWriterOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#clock = options.clock ?? realClock;
    this.#tryWithoutCallback = writesCompleteAtOnce(socket);
    this.#sliced = options.slices === true || unsentInFlight(socket) === undefined;
  }

  /**
   * Sends later writes to `socket`: the TLS socket a STARTTLS upgrade made
   * over the one this writer had. Writes still in flight finish on the old
   * socket first (Node sends them before any TLS byte), in order.
   */
  rebind(socket: Socket): void {
    this.#socket = socket;
    this.#tryWithoutCallback = writesCompleteAtOnce(socket);
    // A backlog still going out keeps its mode; the next writes follow it.
    if (this.#backlog.length === 0) this.#sliced = this.#options.slices === true || unsentInFlight(socket) === undefined;
  }

  /** Resolves once every byte of `data` is handed to the kernel. */
  write(data: ByteData): Promise<void> {
    const buffer = this.#admit(data);
    if (buffer instanceof TcpError) return Promise.reject(buffer);
    const rest = this.#tryAtOnce(buffer);
    if (rest === undefined) return WRITTEN;
    return new Promise<void>((resolve, reject) => this.#track(rest, new PendingWrite(resolve, reject, undefined)));
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
    this.#track(rest, sink);
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
    const queued = socket.writableLength + this.#backlogBytes;
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
    // Not tried whole where progress is seen only per write: what the kernel did not take would be invisible.
    if (this.#sliced && buffer.length > SLICE_BYTES) return buffer;
    socket.write(buffer);
    if (socket.writableLength === 0 && socket.errored == null) return undefined;
    return EMPTY;
  }

  /** Writes `buffer` with the shared callback; `entry` is settled when it is done. */
  #track(buffer: Buffer, entry: InFlight): void {
    this.#unsettled++;
    if (this.#sliced) {
      const pending = entry instanceof PendingWrite ? entry : new PendingWrite(ignore, ignore, entry);
      this.#backlog.push({ pending, buffer, offset: 0 });
      this.#backlogBytes += buffer.length;
      this.#pump();
      this.#armTimer();
      return;
    }
    this.#inFlight.push(entry);
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
    // The error is made only when a write is there to get it (see #closedError).
    if (this.#inFlight.length > 0) {
      const error = this.#whyClosed();
      // Taken out first: a sink that closes again meanwhile finds none of them. Their
      // callbacks still come, and find nothing to settle: a closed writer tracks no new write.
      for (const entry of this.#inFlight.splice(0)) this.#settle(entry, error);
    }
    if (this.#backlog.length > 0) this.#failBacklog(this.#whyClosed());
  }

  /**
   * Sends FIN after every write made so far, as `socket.end(callback)` does
   * (where writes wait in this writer's backlog, once they have gone out).
   */
  end(callback?: (error?: Error | null) => void): void {
    if (this.#backlog.length === 0) this.#socket.end(callback);
    else (this.#endWaiting ??= []).push(callback);
  }

  /** Sliced mode: hands the next slice of the backlog's head to the socket, if none is in flight. */
  #pump(): void {
    if (this.#sliceInFlight) return;
    const head = this.#backlog[0];
    if (head === undefined) {
      const waiting = this.#endWaiting;
      this.#endWaiting = undefined;
      for (const callback of waiting ?? []) this.#socket.end(callback);
      return;
    }
    const { buffer, offset } = head;
    const end = Math.min(offset + SLICE_BYTES, buffer.length);
    const slice = offset === 0 && end === buffer.length ? buffer : buffer.subarray(offset, end);
    head.offset = end;
    this.#backlogBytes -= end - offset;
    this.#sliceInFlight = true;
    this.#sliceCallback ??= (error) => this.#onSliceWritten(error);
    this.#socket.write(slice, this.#sliceCallback);
  }

  #onSliceWritten(error: Error | null | undefined): void {
    this.#sliceInFlight = false;
    this.#completed++;
    const head = this.#backlog[0];
    if (head === undefined) return; // closed meanwhile: every write is settled
    if (error || this.#socket.destroyed) {
      this.#failBacklog(this.#writeFailure(error));
      return;
    }
    if (head.offset === head.buffer.length) {
      this.#backlog.shift();
      this.#settle(head.pending, undefined);
    }
    this.#pump();
  }

  /** Settles every write in the backlog with `error` (and a waiting end); none of it will go out. */
  #failBacklog(error: TcpError): void {
    if (this.#backlog.length === 0) return;
    for (const { pending } of this.#backlog.splice(0)) this.#settle(pending, error);
    this.#backlogBytes = 0;
    const waiting = this.#endWaiting;
    this.#endWaiting = undefined;
    for (const callback of waiting ?? []) callback?.(error);
  }

  /**
   * The one callback of every tracked `socket.write`, made on the first (a
   * listener has a writer per connection, and most never need one).
   */
  #writeCallback: ((error: Error | null | undefined) => void) | undefined;

  #onWriteCallback(error: Error | null | undefined): void {
    const entry = this.#inFlight.shift();
    if (entry === undefined) return; // closed meanwhile: settled by the close
    this.#completed++;
    // Node calls back without an error for a write still in flight when the socket was
    // destroyed (a peer's reset, say): its bytes did not all reach the kernel.
    this.#settle(entry, error || this.#socket.destroyed ? this.#writeFailure(error) : undefined);
  }

  /** Why a write whose callback brought `error` (or found the socket destroyed) failed. */
  #writeFailure(error: Error | null | undefined): TcpError {
    const closed = this.#closed ? this.#whyClosed() : this.#socket.destroyed ? alreadyClosed() : undefined;
    return closed ?? new TcpError(withCause(Messages.writeFailed, error), { code: "ERR_WRITE", cause: error });
  }

  #whyClosed(): TcpError {
    this.#closedError ??= alreadyClosed();
    return this.#closedError;
  }

  #settle(entry: InFlight, error: TcpError | undefined): void {
    if (!(entry instanceof PendingWrite)) {
      // A write-back's sink: in #inFlight once per write, settled once (by its callback or a close).
      this.#unsettled--;
      entry.writeSettled(error);
      return;
    }
    if (entry.settled) return;
    entry.settled = true;
    this.#unsettled--;
    if (entry.sink !== undefined) entry.sink.writeSettled(error);
    else if (error === undefined) entry.resolve();
    else entry.reject(error);
  }

  #armTimer(): void {
    if (this.#options.writeTimeoutMs <= 0) return;
    if (this.#timer !== undefined) return;
    this.#queuedAtArm = this.#socket.writableLength;
    this.#unsentAtArm = unsentInFlight(this.#socket);
    this.#completedAtArm = this.#completed;
    this.#timer = this.#clock.setTimer(this.#options.writeTimeoutMs, SocketWriter.#fire, this);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** The timer's callback, shared by all writers (no closure per writer). */
  static #fire(writer: SocketWriter): void {
    writer.#onTimer();
  }

  #onTimer(): void {
    this.#timer = undefined;
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
