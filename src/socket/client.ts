/**
 * The 1.2.0 `socket:Client` (and `socket:Caller`, which is the same type),
 * built on tcpkit's TCP core: its own socket (see `socket-feed.ts`) or a
 * listener's connection feeds an {@link Inbox}; `read(length?)` reads from it; a
 * callback service gets `onConnect`, `onReadReady` and `onError`.
 *
 * @module
 */
import type { Socket } from "node:net";
import { TcpError, alreadyClosed, withCause } from "../core/errors.js";
import { checkHost, checkPort } from "../core/arguments.js";
import { connectSocket } from "../tcp/transport.js";
import { feedInbox, type SocketChannel } from "./socket-feed.js";
import { deliverError } from "../core/guard.js";
import type { ConnectionService } from "../tcp/service.js";
import { toBuffer } from "../core/bytes.js";
import { invalidArgument } from "../core/units.js";
import { GenericError, SocketMessages, checkMillis, toSocketError, type ReadTimedOutError } from "./errors.js";
import { Inbox, type ReadResult } from "./inbox.js";
import { ReadReadyDispatcher } from "./read-ready.js";

/**
 * The resources of a 1.2.0 service: a listener's service, or a client's
 * `callbackService`. All are optional.
 */
export interface SocketService {
  /** A connection is up; runs before any `onReadReady`. */
  onConnect?(caller: Caller): unknown;
  /**
   * Bytes (or the end of the stream) wait to be read with `caller.read()`.
   * Runs at most once at a time per connection; again when there is news.
   */
  onReadReady?(caller: Caller): unknown;
  /** A socket error, or an error thrown by `onConnect` / `onReadReady`. */
  onError?(caller: Caller, error: GenericError | ReadTimedOutError): unknown;
}

/** Configuration of a 1.2.0 {@link Client}. */
export interface ClientConfig {
  /** The remote host. */
  host: string;
  /** The remote port. */
  port: number;
  /** Read time-out in milliseconds; 0 waits for ever. @default 300000 */
  readTimeoutInMillis?: number;
  /** Gets `onConnect`, `onReadReady` and `onError` for this connection. */
  callbackService?: SocketService;
}

/** The 1.2.0 `socket:Caller`: the peer of a listener's connection, with a client's methods. */
export type Caller = Client;


/** Unread bytes beyond which the socket stops reading until `read` catches up. */
const HIGH_WATER_MARK = 256 * 1024;
/** How long a connect may take, as the core client's default. */
const CONNECT_TIMEOUT_MS = 30_000;
/** The largest `read(length)`: one read never buffers more than this. */
const MAX_READ_LENGTH = 64 * 1024 * 1024;

/** What a listener's connection brings to the {@link Client} made for it. */
interface Adoption {
  readonly channel: SocketChannel;
  readonly service: SocketService | undefined;
  readonly readTimeoutMs: number;
  /** Filled in by the constructor: what the TCP core listener drives. */
  connection?: ConnectionService;
}

/**
 * Handed from {@link adoptConnection} to the constructor it calls, and taken
 * there at once: the public constructor's config stays what the 1.2.0 API says.
 */
let adopting: Adoption | undefined;

/**
 * Makes the {@link Caller} of a listener's connection and the core
 * `ConnectionService` that feeds it. Internal to tcpkit/socket.
 */
export function adoptConnection(
  channel: SocketChannel,
  service: SocketService | undefined,
  readTimeoutMs: number,
): { caller: Caller; connection: ConnectionService } {
  const adoption: Adoption = { channel, service, readTimeoutMs };
  adopting = adoption;
  let caller: Caller;
  try {
    caller = new Client({ host: channel.remoteAddress, port: channel.remotePort });
  } finally {
    adopting = undefined;
  }
  return { caller, connection: adoption.connection! };
}

/**
 * A TCP client in the 1.2.0 shape. It starts connecting in the constructor;
 * every method waits for the connection, and rejects with a `GenericError`
 * `unable to start the client socket: <cause>` when it failed.
 *
 * @example
 * ```ts
 * const client = new Client({ host: "localhost", port: 61598, readTimeoutInMillis: 5000 });
 * const written = await client.write(Buffer.from("Hello Ballerina\n"));
 * const [bytes, length] = await client.read();
 * if (length <= 0) console.log("the server closed the connection");
 * await client.close();
 * ```
 */
export class Client {
  readonly #inbox = new Inbox({ highWaterMark: HIGH_WATER_MARK, maxPendingReads: 1024 });
  readonly #ready: Promise<SocketChannel | GenericError>;
  readonly #service: SocketService | undefined;
  #readTimeoutMs = 0;
  #channel: SocketChannel | undefined;
  #dispatcher: ReadReadyDispatcher | undefined;
  #closing = false;

  /** Starts connecting to `config.host:config.port` (see the class notes). */
  constructor(config: ClientConfig) {
    const adoption = adopting;
    adopting = undefined;
    this.#inbox.onChange = () => this.#dispatcher?.poke();
    if (adoption !== undefined) {
      this.#service = adoption.service;
      this.#readTimeoutMs = adoption.readTimeoutMs;
      this.#channel = adoption.channel;
      this.#ready = Promise.resolve(adoption.channel);
      adoption.connection = this.#connectionService();
      this.#startService();
      return;
    }
    this.#service = config?.callbackService;
    // #connect never rejects: a failure is kept as a value, so nothing goes unhandled.
    this.#ready = this.#connect(config);
  }

  /** The peer's port (0 until connected). */
  get remotePort(): number {
    return this.#channel?.remotePort ?? 0;
  }

  /** The peer's IP address ("" until connected). */
  get remoteAddress(): string {
    return this.#channel?.remoteAddress ?? "";
  }

  /** The local port (0 until connected). */
  get localPort(): number {
    return this.#channel?.localPort ?? 0;
  }

  /** The local IP address ("" until connected). */
  get localAddress(): string {
    return this.#channel?.localAddress ?? "";
  }

  /** Writes all of `content`; resolves with the number of bytes written. */
  async write(content: Uint8Array | string): Promise<number> {
    const channel = this.#open() ?? (await this.#connected());
    let bytes: Buffer;
    try {
      bytes = toBuffer(content);
    } catch (error) {
      throw toSocketError(error);
    }
    try {
      await channel.write(bytes);
    } catch (error) {
      throw toSocketError(error);
    }
    return bytes.length;
  }

  /**
   * Without `length`: the bytes that arrived next. With `length`: exactly
   * that many, or what was left when the peer closed first. At end of stream
   * the length is `-1` (`length <= 0` means the peer closed). No byte within
   * `readTimeoutInMillis`: `ReadTimedOutError` (`read timed out`), and no
   * byte is lost.
   */
  async read(length?: number): Promise<ReadResult> {
    if (length !== undefined && (!Number.isInteger(length) || length < 1 || length > MAX_READ_LENGTH)) {
      throw new GenericError(
        length !== undefined && length > MAX_READ_LENGTH ? `requested byte length is over the limit of ${MAX_READ_LENGTH}` : SocketMessages.badLength,
        { code: "ERR_INVALID_ARGUMENT" },
      );
    }
    if (this.#open() === undefined) await this.#connected();
    return this.#inbox.read(length, this.#readTimeoutMs);
  }

  /** Stops reading: reads now return end of stream (`-1`) and what still arrives is dropped. */
  async shutdownRead(): Promise<void> {
    await this.#connected();
    this.#inbox.shutdown();
  }

  /** Sends FIN: the peer sees end of stream; reading goes on. Later writes fail. */
  async shutdownWrite(): Promise<void> {
    const channel = await this.#connected();
    try {
      await channel.shutdownWrite();
    } catch (error) {
      throw toSocketError(error);
    }
  }

  /** Closes the connection (after a connect in progress). Idempotent. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#inbox.close(alreadyClosed());
      this.#dispatcher?.stop();
    }
    const channel = await this.#ready;
    if (channel instanceof GenericError) return;
    await channel.close();
  }

  /** The channel when connected and not closing, without waiting (the common case). */
  #open(): SocketChannel | undefined {
    return this.#closing ? undefined : this.#channel;
  }

  /** The channel, or the reason there is none. */
  async #connected(): Promise<SocketChannel> {
    const channel = await this.#ready;
    if (channel instanceof GenericError) throw channel;
    if (this.#closing) throw new GenericError(SocketMessages.alreadyClosed, { code: "ERR_SOCKET_CLOSED" });
    return channel;
  }

  async #connect(config: ClientConfig): Promise<SocketChannel | GenericError> {
    let socket: Socket;
    try {
      if (config === null || typeof config !== "object") throw invalidArgument("config", "a ClientConfig { host, port }", config);
      this.#readTimeoutMs = checkMillis(config.readTimeoutInMillis, 300_000, "readTimeoutInMillis");
      socket = await connectSocket({
        host: checkHost(config.host, "host"),
        port: checkPort(config.port, "port", 1),
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        noDelay: true,
        keepAliveMs: false,
      });
    } catch (error) {
      const cause = error instanceof TcpError && error.cause !== undefined ? error.cause : error;
      return new GenericError(withCause(SocketMessages.startClient, cause), {
        code: error instanceof TcpError ? error.code : "ERR_CONNECT",
        cause: error,
      });
    }
    const channel = feedInbox(socket, this.#inbox, (error) => this.#report(error));
    this.#channel = channel;
    if (this.#closing) {
      await channel.close();
      return channel;
    }
    this.#startService();
    return channel;
  }

  /** What the TCP core listener drives for an adopted connection. */
  #connectionService(): ConnectionService {
    return {
      onBytes: (data) => this.#inbox.push(toBuffer(data)),
      // Keep the connection open after the peer's FIN until onReadReady has seen the end.
      onEnd: () => {
        this.#inbox.end();
        return this.#dispatcher?.whenIdle();
      },
      onError: (error) => this.#report(error),
      onClose: () => {
        this.#inbox.end();
        this.#dispatcher?.stop();
      },
    };
  }

  #startService(): void {
    const service = this.#service;
    if (service === undefined || service === null) return;
    const onReadReady = typeof service.onReadReady === "function" ? () => service.onReadReady!(this) : undefined;
    this.#dispatcher = new ReadReadyDispatcher(this.#inbox, onReadReady, (error) => this.#report(error));
    const onConnect = service.onConnect;
    this.#dispatcher.runFirst(() => (typeof onConnect === "function" ? onConnect.call(service, this) : undefined));
  }

  /** To the service's `onError(caller, error)`, else the `tcpkit:error` channel; never throws. */
  #report(error: unknown): void {
    const socketError = toSocketError(error);
    const onError = this.#service?.onError;
    const handler = typeof onError === "function" ? (e: typeof socketError) => onError.call(this.#service, this, e) : undefined;
    deliverError(undefined, socketError, handler);
  }
}
