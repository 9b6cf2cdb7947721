/**
 * The TCP client: connect, write, read (a chunk, exactly n bytes, up to a
 * delimiter, or a codec's frame), half-close, STARTTLS and close, with
 * Ballerina's time-outs in seconds.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { channels, publish } from "../core/diagnostics.js";
import { ConnectError, ConnectionClosedError, Messages, TcpError, alreadyClosed, withCause } from "../core/errors.js";
import { toBuffer, type ByteData } from "../core/bytes.js";
import { SocketWriter } from "./socket-writer.js";
import { StreamReader, type ByteRequest, type ReadOptions } from "../core/stream-reader.js";
import { checkObject, checkReadOptions } from "../core/arguments.js";
import { invalidArgument, positiveInteger } from "../core/units.js";
import { checkConnectArguments, type ClientConfiguration, type ClientSettings } from "./client-config.js";
import { shutdownWrite } from "./shutdown-write.js";
import { connectSocket } from "./transport.js";
import { prepareClientTls } from "../tls/secure-config.js";
import type { ClientSecureSocket } from "../tls/secure-socket.js";
import { connectionError } from "./connection-error.js";
import { tlsInfoOf, type TlsInfo } from "../tls/tls-info.js";
import type { Codec } from "../framing/codec.js";
import { checkCodec, encodeFrame } from "../framing/encode.js";
import { FrameReader } from "../framing/frame-reader.js";
import { invalidState, upgradeClientSocket } from "./start-tls.js";

export type { ClientConfiguration } from "./client-config.js";

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

function ignore(): void {}

/** The request of every `readBytes` (requests are read-only). */
const CHUNK: ByteRequest = { kind: "chunk" };

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
  /** The plain socket, or the TLS socket over it after {@link startTls}. */
  #socket: Socket;
  readonly #reader: StreamReader;
  readonly #writer: SocketWriter;
  readonly #readTimeoutMs: number;
  /** The options of every read without a signal (they are read-only to the reader). */
  readonly #plainReadOptions: ReadOptions;
  /** The request of the last `readExactly`, reused while the length repeats. */
  #lastExactly: { readonly kind: "exactly"; readonly length: number } | undefined;
  readonly #closed: Promise<void>;
  #tls: TlsInfo | undefined;
  #closing = false;
  /** The host and port given to `connect`: what a later `startTls` checks the certificate against. */
  readonly #host: string;
  readonly #port: number;
  /** Set while `startTls` runs: writes wait for it, the socket stays paused. */
  #upgrade: Promise<void> | undefined;
  /** Whether the reader wants bytes (the socket's flow, applied after an upgrade). */
  #flowing = true;
  /** One frame reader per codec used on this connection, over the reader's queue. */
  #frameReaders: WeakMap<object, FrameReader<unknown>> | undefined;

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
    this.#host = settings.host;
    this.#port = settings.port;
    this.#tls = tlsInfoOf(socket);
    this.#readTimeoutMs = settings.readTimeoutMs;
    this.#plainReadOptions = { timeoutMs: settings.readTimeoutMs };
    this.#reader = new StreamReader({
      highWaterMark: settings.highWaterMark,
      maxPendingReads: settings.maxPendingReads,
      onFlowChange: (flowing) => this.#setFlow(flowing),
      timerHoldsProcess: false, // a waiting read keeps the socket reading, which holds the process open
    });
    this.#writer = new SocketWriter(socket, {
      writeTimeoutMs: settings.writeTimeoutMs,
      maxQueuedBytes: settings.maxQueuedWriteBytes,
    });
    this.#listen(socket);
    // The plain socket closes with the TLS socket over it (and the other way round): its close is the one to follow.
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

  /**
   * What the TLS handshake settled (protocol, cipher, ALPN, server
   * certificate); `undefined` for plain TCP (until {@link startTls} succeeds).
   */
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
    const upgrade = this.#upgrade;
    if (upgrade !== undefined) {
      // Not in plain text in the middle of a handshake: after it (failed, the writer refuses).
      const write = (): Promise<void> => this.#writer.write(data);
      return upgrade.then(write, write);
    }
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

  /**
   * The next frame of `codec`: as `readExactly`, it waits for a whole frame
   * (time-out, `signal`), takes exactly its bytes and leaves the rest for the
   * next read of any kind. A frame over the codec's `maxLength` rejects with
   * code `ERR_FRAME_TOO_LONG` and its bytes stay buffered.
   *
   * @example
   * ```ts
   * const text = lines({ maxLength: 1000 });
   * const greeting = new TextDecoder().decode(await client.readFrame(text));
   * ```
   */
  readFrame<T>(codec: Codec<T>, options: ReadBytesOptions = {}): Promise<T> {
    let source: FrameReader<T>;
    try {
      source = this.#frameReader(codec);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closing) return Promise.reject(alreadyClosed());
    return this.#reader.read({ kind: "frame", source }, { timeoutMs: this.#readTimeoutMs, signal: options.signal }) as Promise<T>;
  }

  /**
   * Writes `frame` as `codec` encodes it (a length prefix, a delimiter, ...),
   * as one write: like `writeBytes`, all or error. A frame the codec refuses
   * (over `maxLength`, say) rejects before any byte is sent.
   */
  writeFrame<T>(codec: Codec<T>, frame: T): Promise<void> {
    let bytes: Buffer;
    try {
      checkCodec(codec, "writeFrame");
      bytes = encodeFrame(codec, frame);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.writeBytes(bytes);
  }

  /**
   * The frames of `codec` as they arrive, until the peer closes: the loop
   * ends quietly when it closes between frames, and throws a
   * `ConnectionClosedError` when it closes in the middle of one (and on any
   * other error, as `readFrame`).
   *
   * @example
   * ```ts
   * for await (const line of client.frames(lines())) console.log(new TextDecoder().decode(line));
   * ```
   */
  async *frames<T>(codec: Codec<T>, options: ReadBytesOptions = {}): AsyncGenerator<T, void, undefined> {
    for (;;) {
      try {
        yield await this.readFrame(codec, options);
      } catch (error) {
        if (!(error instanceof ConnectionClosedError) || error.code !== "ERR_CONNECTION_CLOSED") throw error;
        const left = this.#reader.buffered;
        if (left === 0) return;
        throw new ConnectionClosedError(`${Messages.serverClosed} ${left} bytes of an unfinished frame were left`, {
          cause: error,
        });
      }
    }
  }

  /**
   * Upgrades this plain connection to TLS in place (STARTTLS: SMTP, IMAP,
   * POP3, LDAP, XMPP, PostgreSQL's SSLRequest): call it once the protocol's
   * "go ahead" has been read. `secureSocket` takes the fields of
   * `ClientConfiguration.secureSocket`; the server's certificate is checked
   * against the host given to `connect` (or `serverName`) unless
   * `verifyHostName: false`, and against the system's CAs without `cert`.
   *
   * Bytes the server sent after its "go ahead" that are already buffered are
   * handed to the TLS handshake, never to a read. Writes made while the
   * handshake runs are sent after it, encrypted; reads wait for decrypted
   * bytes.
   *
   * Rejects with code `ERR_INVALID_STATE` while a read is pending or TLS is
   * already on (or being started); with a `TlsError` for settings that do
   * not load (the connection stays open, still plain), and with a `TlsError`
   * (`TLS handshake failed: <reason>`) for a failed or timed-out handshake,
   * after which the connection is closed.
   *
   * @example
   * ```ts
   * await client.writeFrame(text, encode("STARTTLS"));
   * const reply = decode(await client.readFrame(text)); // "220 Ready to start TLS"
   * await client.startTls({ cert: "ca.pem" });
   * await client.writeFrame(text, encode("EHLO me")); // encrypted
   * ```
   */
  startTls(secureSocket: ClientSecureSocket = {}): Promise<void> {
    if (this.#closing) return Promise.reject(alreadyClosed());
    if (this.#tls !== undefined || this.#upgrade !== undefined) {
      return Promise.reject(invalidState("startTls: TLS is already on (or being started) on this connection"));
    }
    if (this.#reader.pendingReads > 0) {
      return Promise.reject(
        invalidState("startTls while a read is pending: await (or abort) every read before upgrading the connection"),
      );
    }
    if (secureSocket !== null && typeof secureSocket === "object" && secureSocket.enable === false) {
      return Promise.reject(new TcpError("startTls: secureSocket.enable is false", { code: "ERR_INVALID_ARGUMENT" }));
    }
    // From now on nothing reads the plain socket: what arrives stays in its buffer for the TLS socket.
    const raw = this.#socket;
    raw.pause();
    raw.removeListener("data", this.#onData);
    // Bytes read after the server's "go ahead" and not consumed are the handshake's, not a later read's.
    const buffered = this.#reader.takeBuffered();
    const upgrade = this.#startTls(raw, secureSocket, buffered);
    this.#upgrade = upgrade;
    const done = (): void => {
      this.#upgrade = undefined;
      this.#setFlow(this.#flowing); // what the reader asked for meanwhile
    };
    upgrade.then(done, done);
    return upgrade;
  }

  async #startTls(raw: Socket, secureSocket: ClientSecureSocket, buffered: Buffer): Promise<void> {
    let settings: Awaited<ReturnType<typeof prepareClientTls>>;
    try {
      settings = await prepareClientTls(secureSocket, this.#host, this.#port);
      if (settings === undefined) {
        throw new TcpError("startTls needs a ClientSecureSocket object (or none)", { code: "ERR_INVALID_ARGUMENT" });
      }
    } catch (error) {
      // Nothing happened on the wire: the connection goes on in plain text.
      this.#restorePlain(raw, buffered);
      throw error;
    }
    if (this.#closing || raw.destroyed) throw alreadyClosed();
    if (this.#reader.done) {
      this.#restorePlain(raw, buffered);
      throw new ConnectionClosedError(`${Messages.serverClosed} (before startTls)`);
    }
    raw.removeListener("end", this.#onEnd);
    raw.removeListener("error", this.#onError);
    raw.on("error", ignore); // the TLS socket reports the errors of the connection now
    try {
      await upgradeClientSocket(raw, buffered, settings, (socket: TLSSocket) => {
        this.#socket = socket;
        this.#tls = tlsInfoOf(socket);
        this.#writer.rebind(socket);
        this.#listen(socket);
        if (!this.#flowing) socket.pause();
      });
    } catch (error) {
      // Reads fail with why; the connection is closed (the peer expects TLS, plain text cannot go on).
      this.#reader.fail(TcpError.wrap(error));
      raw.destroy();
      throw error;
    }
  }

  /** A failed start before the handshake: the bytes taken go back, the plain socket is read again. */
  #restorePlain(raw: Socket, buffered: Buffer): void {
    if (raw.listeners("data").includes(this.#onData)) return;
    this.#reader.push(buffered); // nothing arrived meanwhile: they are the oldest bytes again
    raw.on("data", this.#onData);
    if (this.#flowing) raw.resume();
  }

  /** Sends FIN: the peer sees end of stream; reading goes on. */
  shutdownWrite(): Promise<void> {
    return shutdownWrite(this.#socket, this.#writer, () => this.#closing);
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

  /** The reader's bytes go in from `socket` (the plain one, then the TLS one after an upgrade). */
  #listen(socket: Socket): void {
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", this.#onError);
  }

  readonly #onData = (chunk: Buffer): void => this.#reader.push(chunk);
  readonly #onEnd = (): void => this.#reader.end(new ConnectionClosedError());
  readonly #onError = (error: Error): void => this.#reader.fail(connectionError(error));

  /** Follows the reader's wish; while an upgrade runs the plain socket stays paused. */
  #setFlow(flowing: boolean): void {
    this.#flowing = flowing;
    if (this.#upgrade !== undefined) return;
    if (flowing) this.#socket.resume();
    else this.#socket.pause();
  }

  #frameReader<T>(codec: Codec<T>): FrameReader<T> {
    checkCodec(codec, "readFrame");
    // Made on the first frame read: most clients read bytes only.
    const readers = (this.#frameReaders ??= new WeakMap());
    let reader = readers.get(codec) as FrameReader<T> | undefined;
    if (reader === undefined) {
      reader = new FrameReader(codec, this.#reader.queue);
      readers.set(codec, reader as FrameReader<unknown>);
    }
    return reader;
  }

  #read(request: ByteRequest, options: ReadBytesOptions | undefined): Promise<Uint8Array> {
    if (this.#closing) return Promise.reject(alreadyClosed());
    if (options === undefined) return this.#reader.read(request, this.#plainReadOptions);
    const invalid = checkReadOptions(options);
    if (invalid !== undefined) return Promise.reject(invalid);
    // Without a signal, one options object serves every read.
    if (options.signal === undefined) return this.#reader.read(request, this.#plainReadOptions);
    return this.#reader.read(request, { timeoutMs: this.#readTimeoutMs, signal: options.signal });
  }
}
