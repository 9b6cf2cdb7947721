/**
 * The TCP client: connect, write, read (a chunk, exactly n bytes, or up to a
 * delimiter), half-close and close, with Ballerina's time-outs in seconds.
 *
 * @module
 */
import type { Socket } from "node:net";
import { channels, publish } from "../core/diagnostics.js";
import { ConnectError, ConnectionClosedError, Messages, TcpError, alreadyClosed, withCause } from "../core/errors.js";
import { toBuffer, type ByteData } from "../core/bytes.js";
import { SocketWriter } from "./socket-writer.js";
import { StreamReader, type ReadOptions, type ReadRequest } from "../core/stream-reader.js";
import { checkObject, checkReadOptions } from "../core/arguments.js";
import { invalidArgument, positiveInteger } from "../core/units.js";
import { checkConnectArguments, type ClientSettings } from "./client-config.js";
import { shutdownWrite } from "./shutdown-write.js";
import { connectSocket } from "./transport.js";
import { prepareClientTls } from "../tls/secure-config.js";
import type { ClientSecureSocket } from "../tls/secure-socket.js";
import { connectionError } from "./connection-error.js";
import { tlsInfoOf, type TlsInfo } from "../tls/tls-info.js";
import { encodeProxyHeader, type ProxyHeaderOptions } from "../proxy/header-encoder.js";

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
  /**
   * A PROXY protocol header (v1 or v2) sent first, before the TLS handshake: for a proxy that
   * speaks for its own clients to a listener with `proxyProtocol`, and for tests.
   *
   * @example
   * ```ts
   * { proxyHeader: { version: 2, source: { host: "192.0.2.1", port: 56324 }, destination: { host: "192.0.2.11", port: 443 } } }
   * ```
   */
  proxyHeader?: ProxyHeaderOptions;
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

/** The request of every `readBytes` (requests are read-only). */
const CHUNK: ReadRequest = { kind: "chunk" };

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
  /** The options of every read without a signal (they are read-only to the reader). */
  readonly #plainReadOptions: ReadOptions;
  /** The request of the last `readExactly`, reused while the length repeats. */
  #lastExactly: { readonly kind: "exactly"; readonly length: number } | undefined;
  readonly #closed: Promise<void>;
  readonly #tls: TlsInfo | undefined;
  #closing = false;

  /**
   * Connects to `host:port` (and completes the TLS handshake when
   * `secureSocket` is set). Rejects with a `ConnectError`
   * (`Unable to connect with remote host: <cause>`) when it cannot, and with
   * a `TlsError` for TLS settings that do not load or a failed handshake.
   */
  static async connect(host: string, port: number, config?: ClientConfiguration): Promise<Client> {
    let settings: ClientSettings;
    try {
      settings = checkConnectArguments(host, port, config);
    } catch (error) {
      throw new ConnectError(withCause(Messages.connect, error), { code: "ERR_INVALID_ARGUMENT", cause: error });
    }
    const tls = await prepareClientTls(settings.secureSocket, host, port);
    const socket = await connectSocket({
      host,
      port,
      tls,
      localHost: settings.localHost,
      connectTimeoutMs: settings.connectTimeoutMs,
      noDelay: settings.noDelay,
      keepAliveMs: settings.keepAliveMs,
      signal: settings.signal,
      proxyHeader: settings.proxyHeader,
    });
    publish(channels.clientConnect, () => ({
      host,
      port,
      localHost: socket.localAddress,
      localPort: socket.localPort,
    }));
    return new Client(socket, settings);
  }

  private constructor(socket: Socket, settings: ClientSettings) {
    this.#socket = socket;
    this.#tls = tlsInfoOf(socket);
    this.#readTimeoutMs = settings.readTimeoutMs;
    this.#plainReadOptions = { timeoutMs: settings.readTimeoutMs };
    this.#reader = new StreamReader({
      highWaterMark: settings.highWaterMark,
      maxPendingReads: settings.maxPendingReads,
      onFlowChange: (flowing) => (flowing ? socket.resume() : socket.pause()),
    });
    this.#writer = new SocketWriter(socket, {
      writeTimeoutMs: settings.writeTimeoutMs,
      maxQueuedBytes: settings.maxQueuedWriteBytes,
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
   * `Read timed out` leaves the connection open and loses no byte. After the
   * peer's FIN it rejects with `Connection closed by the server.`; writing
   * stays open until {@link shutdownWrite}, {@link close} or a reset.
   */
  readBytes(options?: ReadBytesOptions): Promise<Uint8Array> {
    return this.#read(CHUNK, options);
  }

  /** Exactly `length` bytes; rejects with `ConnectionClosedError` if the peer closes first. */
  readExactly(length: number, options?: ReadBytesOptions): Promise<Uint8Array> {
    let request = this.#lastExactly;
    if (request?.length !== length) {
      if (!Number.isSafeInteger(length) || length < 0 || length > 0x7fffffff) {
        return Promise.reject(invalidArgument("length", "an integer from 0 to 2147483647", length));
      }
      // Requests are read-only: a loop reading the same length reuses one.
      request = this.#lastExactly = { kind: "exactly", length };
    }
    return this.#read(request, options);
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
    let maxLength: number;
    try {
      maxLength = positiveInteger(checkObject(options, "options").maxLength, MiB, "maxLength");
    } catch (error) {
      return Promise.reject(error);
    }
    if (bytes.length === 0 || maxLength < bytes.length) {
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
    return shutdownWrite(this.#socket, () => this.#closing);
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

  #read(request: ReadRequest, options: ReadBytesOptions | undefined): Promise<Uint8Array> {
    if (this.#closing) return Promise.reject(alreadyClosed());
    if (options === undefined) return this.#reader.read(request, this.#plainReadOptions);
    const invalid = checkReadOptions(options);
    if (invalid !== undefined) return Promise.reject(invalid);
    // Without a signal, one options object serves every read.
    if (options.signal === undefined) return this.#reader.read(request, this.#plainReadOptions);
    return this.#reader.read(request, { timeoutMs: this.#readTimeoutMs, signal: options.signal });
  }
}
