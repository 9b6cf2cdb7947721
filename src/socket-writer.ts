/**
 * Promise-based writes on a socket: all or error, in call order, with a
 * write time-out that fires only when the kernel takes no bytes for that
 * long, and a bound on bytes queued in user space.
 *
 * @module
 */
import type { Socket } from "node:net";
import { Messages, TcpError, WriteTimeoutError, alreadyClosed, withCause } from "./errors.js";

/** Bytes in, as the public API takes them. */
export type ByteData = Uint8Array | string;

/** Turns user data into a Buffer without copying a Uint8Array. */
export function toBuffer(data: ByteData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TcpError("data must be a Uint8Array or a string", { code: "ERR_INVALID_ARGUMENT" });
}

interface PendingWrite {
  resolve(): void;
  reject(error: TcpError): void;
  settled: boolean;
}

export interface SocketWriterOptions {
  /** No progress for this long rejects every pending write and destroys the socket; 0 = never. */
  writeTimeoutMs: number;
  /** A write that would queue more than this many unflushed bytes is refused up front. */
  maxQueuedBytes: number;
}

export class SocketWriter {
  readonly #socket: Socket;
  readonly #options: SocketWriterOptions;
  readonly #pending = new Set<PendingWrite>();
  #timer: NodeJS.Timeout | undefined;
  #queuedAtArm = 0;
  #unsentAtArm: number | undefined;
  #completedAtArm = 0;
  #completed = 0;
  #closedError: TcpError | undefined;

  constructor(socket: Socket, options: SocketWriterOptions) {
    this.#socket = socket;
    this.#options = options;
  }

  /** Resolves once every byte of `data` is handed to the kernel. */
  write(data: ByteData): Promise<void> {
    if (this.#closedError !== undefined) return Promise.reject(this.#closedError);
    let buffer: Buffer;
    try {
      buffer = toBuffer(data);
    } catch (error) {
      return Promise.reject(error);
    }
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) return Promise.reject(alreadyClosed());
    const queued = socket.writableLength;
    if (queued > 0 && queued + buffer.length > this.#options.maxQueuedBytes) {
      return Promise.reject(
        new TcpError(
          `Write refused: ${queued} bytes are still unsent (limit ${this.#options.maxQueuedBytes}); await earlier writes first`,
          { code: "ERR_WRITE_BUFFER_FULL" },
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const pending: PendingWrite = { resolve, reject, settled: false };
      this.#pending.add(pending);
      socket.write(buffer, (error) => this.#onWritten(pending, error));
      this.#armTimer();
    });
  }

  /** Why writes are refused now (a write time-out, a close), if they are. */
  get closedError(): TcpError | undefined {
    return this.#closedError;
  }

  /** Rejects every pending and later write with `error` (the socket is going away). */
  close(error: TcpError = alreadyClosed()): void {
    this.#closedError ??= error;
    this.#clearTimer();
    for (const pending of this.#pending) this.#settle(pending, this.#closedError);
    this.#pending.clear();
  }

  #onWritten(pending: PendingWrite, error: Error | null | undefined): void {
    this.#completed++;
    this.#pending.delete(pending);
    // Node calls back without an error for a write still in flight when the socket was
    // destroyed (a peer's reset, say): its bytes did not all reach the kernel.
    if (error || this.#socket.destroyed) {
      const closed = this.#closedError ?? (this.#socket.destroyed ? alreadyClosed() : undefined);
      this.#settle(pending, closed ?? new TcpError(withCause(Messages.writeFailed, error), { code: "ERR_WRITE", cause: error }));
    } else {
      this.#settle(pending, undefined);
    }
    if (this.#pending.size === 0) this.#clearTimer();
  }

  #settle(pending: PendingWrite, error: TcpError | undefined): void {
    if (pending.settled) return;
    pending.settled = true;
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#options.writeTimeoutMs <= 0) return;
    this.#queuedAtArm = this.#socket.writableLength;
    this.#unsentAtArm = unsentInFlight(this.#socket);
    this.#completedAtArm = this.#completed;
    this.#timer = setTimeout(this.#onTimer, this.#options.writeTimeoutMs);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
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
  };
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
