/**
 * The bytes a 1.2.0 socket has received and not yet read, on the core's pure
 * {@link StreamReader}: reads in the 1.2.0 shape (`[bytes, length]`, exactly
 * `length` bytes when asked, what was left at end of stream, `-1` after it),
 * a gate that tells the feeder to wait while too much is unread, and a
 * `version` that moves whenever bytes come or go (the read-ready dispatcher
 * uses it to call `onReadReady` again only after progress).
 *
 * @module
 */
import { ConnectionClosedError, TcpError } from "../core/errors.js";
import { StreamReader } from "../core/stream-reader.js";
import { toSocketError } from "./errors.js";

/** What `read` resolves with: the bytes and their count; `[empty, -1]` after end of stream. */
export type ReadResult = [bytes: Uint8Array, length: number];

/** Limits of an {@link Inbox}. */
export interface InboxOptions {
  /** Unread bytes beyond which `push` asks the feeder to wait. */
  highWaterMark: number;
  /** Reads that may wait at once. */
  maxPendingReads: number;
}

const EMPTY = new Uint8Array(0);

/** Unread bytes of one 1.2.0 socket and the 1.2.0 read semantics; no I/O. */
export class Inbox {
  readonly #reader: StreamReader;
  /** Resolves when the feeder may push again; undefined while flowing. */
  #gate: { promise: Promise<void>; open: () => void } | undefined;
  #version = 0;
  /** `shutdownRead()`: reads see end of stream, arriving bytes are dropped. */
  #discarding = false;
  #closedLocally = false;
  #eofDelivered = false;
  /** Called after every change that could make the inbox readable. */
  onChange: () => void = () => {};

  constructor(options: InboxOptions) {
    this.#reader = new StreamReader({
      highWaterMark: options.highWaterMark,
      maxPendingReads: options.maxPendingReads,
      onFlowChange: (flowing) => {
        if (flowing) this.#openGate();
        else if (!this.#reader.done) this.#gate ??= makeGate();
      },
    });
  }

  /** Moves whenever bytes arrive, are read, or the stream ends. */
  get version(): number {
    return this.#version;
  }

  /** Whether `onReadReady` has something to see: unread bytes, or an end not yet reported, and no read waiting. */
  get readable(): boolean {
    if (this.#closedLocally || this.#discarding || this.#reader.pendingReads > 0) return false;
    return this.#reader.buffered > 0 || (this.#reader.done && !this.#eofDelivered);
  }

  /** Bytes that arrived; a promise while the feeder should wait (too much unread). */
  push(chunk: Buffer): Promise<void> | undefined {
    if (this.#discarding || this.#closedLocally) return undefined;
    this.#reader.push(chunk);
    this.#version++;
    this.onChange();
    return this.#gate?.promise;
  }

  /** The peer finished sending. */
  end(): void {
    if (this.#reader.done) return;
    this.#reader.end(new ConnectionClosedError());
    this.#version++;
    this.#openGate();
    this.onChange();
  }

  /** A socket error: reads that cannot be served from what is buffered reject with it. */
  fail(error: TcpError): void {
    if (this.#reader.done) return;
    this.#reader.fail(error);
    this.#version++;
    this.#openGate();
    this.onChange();
  }

  /** A local close: buffered bytes are dropped, reads reject with `error`. */
  close(error: TcpError): void {
    this.#closedLocally = true;
    this.#reader.close(error);
    this.#openGate();
  }

  /** `shutdownRead()`: waiting and later reads see end of stream; what arrives is dropped. */
  shutdown(): void {
    if (this.#discarding) return;
    this.#discarding = true;
    this.#reader.close(new ConnectionClosedError());
    this.#openGate();
  }

  /**
   * The next chunk (no `length`), or exactly `length` bytes, or what was left
   * when the stream ended first; `[empty, -1]` at end of stream. Time-out:
   * `ReadTimedOutError`; nothing is lost, the bytes stay for the next read.
   */
  async read(length: number | undefined, timeoutMs: number): Promise<ReadResult> {
    if (this.#discarding) return [EMPTY, -1];
    let bytes: Buffer;
    try {
      bytes = await this.#reader.read(
        length === undefined ? { kind: "chunk" } : { kind: "exactly", length },
        { timeoutMs },
      );
    } catch (error) {
      if (this.#discarding) return [EMPTY, -1];
      if (!(error instanceof ConnectionClosedError) || error.code !== "ERR_CONNECTION_CLOSED") {
        throw toSocketError(error);
      }
      return this.#rest();
    }
    this.#changed();
    return [bytes, bytes.length];
  }

  /** At end of stream: whatever is still buffered, else `[empty, -1]`. */
  async #rest(): Promise<ReadResult> {
    const parts: Buffer[] = [];
    while (this.#reader.buffered > 0) {
      try {
        parts.push(await this.#reader.read({ kind: "chunk" }, { timeoutMs: 0 }));
      } catch {
        break;
      }
    }
    if (parts.length === 0) {
      this.#eofDelivered = true;
      this.#changed();
      return [EMPTY, -1];
    }
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    this.#changed();
    return [bytes, bytes.length];
  }

  #changed(): void {
    this.#version++;
    this.onChange();
  }

  #openGate(): void {
    const gate = this.#gate;
    this.#gate = undefined;
    gate?.open();
  }
}

function makeGate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
