/**
 * The TCP client: connect, write, read (a chunk, exactly n bytes, or up to a
 * delimiter), half-close and close, with Ballerina's time-outs in seconds.
 *
 * @module
 */
import type { Socket } from "node:net";
import { channels, publish } from "../core/diagnostics.js";
import { ConnectionClosedError, Messages, TcpError, alreadyClosed, withCause } from "../core/errors.js";
import { toBuffer, type ByteData } from "../core/bytes.js";
import { SocketWriter } from "./socket-writer.js";
import { StreamReader, type ReadRequest } from "../core/stream-reader.js";
import { secondsToMs } from "../core/units.js";
import { connectSocket } from "./transport.js";
import { prepareClientTls } from "../tls/secure-config.js";
import type { ClientSecureSocket } from "../tls/secure-socket.js";
import { connectionError } from "./connection-error.js";
import { tlsInfoOf, type TlsInfo } from "../tls/tls-info.js";

/** Configuration of {@link Client.connect}. Times are in seconds; 0 means no limit. */
export interface ClientConfiguration {
  /** Local interface (host name or IP) to bind before connecting. */
  localHost?: string;
  /** Read time-out in seconds. @default 300 */
  timeout?: number;
  /** Write time-out in seconds: a write that makes no progress for this long fails. @default 300 */
  writeTimeout?: number;
  /** Connect time-out in seconds (including the TLS handshake). @default 30 */
  connectTimeout?: number;
  /** Disable Nagle's algorithm. @default true */
  noDelay?: boolean;
  /** TCP keep-alive: `false`, or the idle seconds before the first probe. @default false */
  keepAlive?: false | number;
  /** TLS (and mutual TLS) settings; without them the connection is plain TCP. */
  secureSocket?: ClientSecureSocket;
  /** Aborts the connection attempt. */
  signal?: AbortSignal;
  /** Bytes buffered before the socket stops reading while no read is waiting. @default 1 MiB */
  highWaterMark?: number;
  /** Reads that may wait at once. @default 1024 */
  maxPendingReads?: number;
  /** Unsent bytes beyond which a further write is refused. @default 64 MiB */
  maxQueuedWriteBytes?: number;
}

/** Options of every read. */
export interface ReadBytesOptions {
  /** Abort the read; the bytes it would have taken stay for the next read. */
  signal?: AbortSignal;
}

/** Options of {@link Client.readUntil}. */
export interface ReadUntilOptions extends ReadBytesOptions {
  /** Most bytes (delimiter included) to look through. @default 1 MiB */
  maxLength?: number;
}

const MiB = 1024 * 1024;

/**
 * A connected TCP client.
 *
 * @example
 * ```ts
 * const client = await Client.connect("localhost", 3000, { timeout: 5 });
 * await client.writeBytes("Hello Ballerina");
 * const reply = await client.readBytes();
 * await client.close();
 * ```
 */
export class Client implements AsyncIterable<Uint8Array>, AsyncDisposable {
  readonly #socket: Socket;
  readonly #reader: StreamReader;
  readonly #writer: SocketWriter;
  readonly #readTimeoutMs: number;
  readonly #closed: Promise<void>;
  readonly #tls: TlsInfo | undefined;
  #closing = false;

  /**
   * Connects to `host:port` (and completes the TLS handshake when
   * `secureSocket` is set). Rejects with a `ConnectError`
   * (`Unable to connect with remote host: <cause>`) when it cannot, and with
   * a `TlsError` for TLS settings that do not load or a failed handshake.
   */
  static async connect(host: string, port: number, config: ClientConfiguration = {}): Promise<Client> {
    let readTimeoutMs: number;
    let writeTimeoutMs: number;
    let connectTimeoutMs: number;
    let keepAliveMs: number | false;
    try {
      readTimeoutMs = secondsToMs(config.timeout, 300, "timeout");
      writeTimeoutMs = secondsToMs(config.writeTimeout, 300, "writeTimeout");
      connectTimeoutMs = secondsToMs(config.connectTimeout, 30, "connectTimeout");
      keepAliveMs = config.keepAlive === undefined || config.keepAlive === false
        ? false
        : secondsToMs(config.keepAlive, 0, "keepAlive");
    } catch (error) {
      throw new TcpError(withCause(Messages.connect, error), { code: "ERR_INVALID_ARGUMENT", cause: error });
    }
    const tls = await prepareClientTls(config.secureSocket, host, port);
    const socket = await connectSocket({
      host,
      port,
      tls,
      localHost: config.localHost,
      connectTimeoutMs,
      noDelay: config.noDelay ?? true,
      keepAliveMs,
      signal: config.signal,
    });
    publish(channels.clientConnect, () => ({
      host,
      port,
      localHost: socket.localAddress,
      localPort: socket.localPort,
    }));
    return new Client(socket, config, readTimeoutMs, writeTimeoutMs);
  }

  private constructor(socket: Socket, config: ClientConfiguration, readTimeoutMs: number, writeTimeoutMs: number) {
    this.#socket = socket;
    this.#tls = tlsInfoOf(socket);
    this.#readTimeoutMs = readTimeoutMs;
    this.#reader = new StreamReader({
      highWaterMark: config.highWaterMark ?? MiB,
      maxPendingReads: config.maxPendingReads ?? 1024,
      onFlowChange: (flowing) => (flowing ? socket.resume() : socket.pause()),
    });
    this.#writer = new SocketWriter(socket, {
      writeTimeoutMs,
      maxQueuedBytes: config.maxQueuedWriteBytes ?? 64 * MiB,
    });
    socket.on("data", (chunk: Buffer) => this.#reader.push(chunk));
    socket.on("end", () => this.#reader.end(new ConnectionClosedError()));
    socket.on("error", (error) => {
      this.#reader.fail(connectionError(error));
    });
    this.#closed = new Promise((resolve) => {
      socket.once("close", () => {
        // A write time-out destroyed the socket: later reads say so rather than blame the peer.
        this.#reader.end(this.#writer.closedError ?? new ConnectionClosedError());
        this.#writer.close(this.#closing ? alreadyClosed() : new ConnectionClosedError());
        resolve();
      });
    });
  }

  /** The remote address (IP) as connected. */
  get remoteHost(): string {
    return this.#socket.remoteAddress ?? "";
  }

  /** The remote port. */
  get remotePort(): number {
    return this.#socket.remotePort ?? 0;
  }

  /** The local address (IP) of the connection. */
  get localHost(): string {
    return this.#socket.localAddress ?? "";
  }

  /** The local port of the connection. */
  get localPort(): number {
    return this.#socket.localPort ?? 0;
  }

  /** What the TLS handshake settled (protocol, cipher, ALPN, server certificate); `undefined` for plain TCP. */
  get tls(): TlsInfo | undefined {
    return this.#tls;
  }

  /**
   * Writes all of `data` (a string is sent as UTF-8). Resolves when every
   * byte is handed to the kernel; concurrent calls go out in call order.
   * Fails with `Write timed out` (closing the connection, since part of the
   * data may be sent) when the peer takes nothing for `writeTimeout`.
   */
  writeBytes(data: ByteData): Promise<void> {
    return this.#writer.write(data);
  }

  /**
   * The next chunk that arrived (up to one socket read), without framing.
   * `Read timed out` leaves the connection open and loses no byte.
   */
  readBytes(options: ReadBytesOptions = {}): Promise<Uint8Array> {
    return this.#read({ kind: "chunk" }, options);
  }

  /** Exactly `length` bytes; rejects with `ConnectionClosedError` if the peer closes first. */
  readExactly(length: number, options: ReadBytesOptions = {}): Promise<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0 || length > 0x7fffffff) {
      return Promise.reject(
        new TcpError(`length must be an integer from 0 to 2147483647, got ${String(length)}`, {
          code: "ERR_INVALID_ARGUMENT",
        }),
      );
    }
    return this.#read({ kind: "exactly", length }, options);
  }

  /**
   * The bytes up to and including the first `delimiter`. With no delimiter
   * within `maxLength` bytes it rejects with code `ERR_MAX_LENGTH`, and the
   * bytes stay readable.
   */
  readUntil(delimiter: ByteData, options: ReadUntilOptions = {}): Promise<Uint8Array> {
    let bytes: Buffer;
    try {
      bytes = toBuffer(delimiter);
    } catch (error) {
      return Promise.reject(error);
    }
    const maxLength = options.maxLength ?? MiB;
    if (bytes.length === 0 || !Number.isSafeInteger(maxLength) || maxLength < bytes.length) {
      return Promise.reject(
        new TcpError("readUntil needs a non-empty delimiter and a maxLength at least as long", {
          code: "ERR_INVALID_ARGUMENT",
        }),
      );
    }
    return this.#read({ kind: "until", delimiter: bytes, maxLength }, options);
  }

  /** Sends FIN: the peer sees end of stream; reading goes on. */
  shutdownWrite(): Promise<void> {
    const socket = this.#socket;
    if (socket.destroyed) return Promise.reject(alreadyClosed());
    if (socket.writableFinished) return Promise.resolve(); // the FIN is out already
    // The callback gets an error when the socket is destroyed before the FIN went out.
    return new Promise((resolve, reject) =>
      this.#writer.end((error?: Error | null) => {
        if (!error) resolve();
        else if (this.#closing) reject(alreadyClosed());
        else reject(new TcpError(withCause(Messages.writeFailed, error), { code: "ERR_WRITE", cause: error }));
      }),
    );
  }

  /**
   * Closes the connection. Idempotent. Reads and writes pending now reject
   * with `Socket connection already closed.`.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      const closed = alreadyClosed();
      this.#reader.close(closed);
      this.#writer.close(closed);
      this.#socket.destroy();
    }
    return this.#closed;
  }

  /** Reads chunks until the peer closes; throws on errors and time-outs. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      try {
        yield await this.readBytes();
      } catch (error) {
        if (error instanceof ConnectionClosedError && error.code === "ERR_CONNECTION_CLOSED") return;
        throw error;
      }
    }
  }

  /** `await using client = await Client.connect(...)` closes it at scope end. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #read(request: ReadRequest, options: ReadBytesOptions): Promise<Uint8Array> {
    if (this.#closing) return Promise.reject(alreadyClosed());
    return this.#reader.read(request, { timeoutMs: this.#readTimeoutMs, signal: options.signal });
  }
}
