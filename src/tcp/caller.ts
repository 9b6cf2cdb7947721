/**
 * The peer of one listener connection, as handlers see it.
 *
 * @module
 */
import type { ByteData } from "../core/bytes.js";
import type { TlsInfo } from "../tls/tls-info.js";
import type { ProxyInfo } from "../proxy/header.js";
import type { ListenerSecureSocket } from "../tls/secure-socket.js";

/** Options of {@link Caller.startTls}. */
export interface StartTlsOptions {
  /**
   * Bytes of the chunk `onBytes` was given that come after the protocol's
   * "go ahead" line (a client may send its TLS hello right behind its
   * STARTTLS command): they are the start of the handshake, not data. A
   * framed service (`onFrame`) need not pass them: the bytes after the
   * current frame are still queued, and go to the handshake by themselves.
   */
  unconsumed?: Uint8Array;
}

/**
 * What a {@link Caller} shows and asks of the connection that owns it (the
 * connection owns the socket and its writer).
 *
 * @internal
 */
export interface CallerHost {
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly localHost: string;
  readonly localPort: number;
  readonly tls: TlsInfo | undefined;
  /** The PROXY header the connection began with, and the balancer's address. */
  readonly proxy: ProxyInfo | undefined;
  /** Writes all of `data`, in order with the connection's write-backs. */
  write(data: ByteData): Promise<void>;
  /** Writes `frame` encoded with the service's codec. */
  writeFrame(frame: unknown): Promise<void>;
  /** Upgrades the connection to TLS (server side). */
  startTls(secureSocket: ListenerSecureSocket, unconsumed: Uint8Array | undefined): Promise<void>;
  /** Flushes what was written, closes; resolves when the socket is closed. */
  close(): Promise<void>;
}

/**
 * One connected peer of a {@link Listener}.
 *
 * @example
 * ```ts
 * onConnect(caller) {
 *   console.log(`${caller.id} from ${caller.remoteHost}:${caller.remotePort}`);
 *   return { onBytes: (data) => caller.writeBytes(data) };
 * }
 * ```
 */
export class Caller {
  /**
   * The connection's number in this process, until {@link id} is first asked
   * (most connections never are): then the id string made from it.
   */
  #id: number | string;
  /** The peer's IP address (no reverse lookup); behind a PROXY protocol balancer, the client's, from the header. */
  readonly remoteHost: string;
  readonly remotePort: number;
  /** The local IP address the peer connected to; with a PROXY header, the address the client connected to on the balancer. */
  readonly localHost: string;
  readonly localPort: number;
  /**
   * The PROXY protocol header the connection began with, and `via`, the balancer's own address
   * (the socket peer); `undefined` on a listener without `proxyProtocol`.
   */
  readonly proxy: ProxyInfo | undefined;
  readonly #host: CallerHost;
  #tls: TlsInfo | undefined;

  /** @internal The listener makes one per connection. */
  constructor(serial: number, host: CallerHost) {
    this.#id = serial;
    this.#host = host;
    this.remoteHost = host.remoteHost;
    this.remotePort = host.remotePort;
    this.localHost = host.localHost;
    this.localPort = host.localPort;
    this.proxy = host.proxy;
    this.#tls = host.tls;
  }

  /** Unique among this process's connections. */
  get id(): string {
    if (typeof this.#id === "number") this.#id = this.#id.toString(36);
    return this.#id;
  }

  /**
   * What the TLS handshake settled (protocol, cipher, ALPN, client
   * certificate); `undefined` for plain TCP (until {@link startTls} succeeds).
   */
  get tls(): TlsInfo | undefined {
    // Asked again until there is one: a STARTTLS upgrade makes it later.
    this.#tls ??= this.#host.tls;
    return this.#tls;
  }

  /**
   * Writes all of `data` to the peer, in call order with write-backs from
   * `onBytes`. After the connection closed: `Socket connection already closed.`.
   */
  writeBytes(data: ByteData): Promise<void> {
    return this.#host.write(data);
  }

  /**
   * Writes `frame` encoded with the codec of this connection's service
   * (`ConnectionService.framing`), in call order with everything else
   * written. Rejects with `ERR_INVALID_STATE` when the service has no
   * `framing`, and with the codec's error (`ERR_FRAME_TOO_LONG`, ...) before
   * any byte is sent when it refuses the frame.
   */
  writeFrame(frame: unknown): Promise<void> {
    return this.#host.writeFrame(frame);
  }

  /**
   * Upgrades this plain connection to TLS in place: the server side of
   * STARTTLS (SMTP, IMAP, POP3, LDAP, XMPP, PostgreSQL's SSLRequest). Call it
   * from `onBytes` or `onFrame`, right after writing the protocol's "go
   * ahead", and return (or await) its promise: reading is paused there, so
   * no byte after the client's request is handed out in plain text. What
   * follows reaches `onBytes` / `onFrame` decrypted, and `caller.tls` shows
   * the session. Writes made while the handshake runs are sent after it,
   * encrypted.
   *
   * Bytes of the handler's own chunk that follow the request are the
   * handler's to give back (`options.unconsumed`); a framed service's queued
   * bytes go to the handshake by themselves.
   *
   * Rejects with `ERR_INVALID_STATE` outside a handler or when TLS is already
   * on (or being started); with a `TlsError` when `secureSocket` does not
   * load or the handshake fails (`TLS handshake failed: <reason>`, a client
   * certificate refused, a time-out), after which the connection is closed.
   *
   * @example
   * ```ts
   * onFrame: async (line, caller) => {
   *   if (text(line) !== "STARTTLS") return encode("250 OK");
   *   await caller.writeFrame(encode("220 Ready to start TLS"));
   *   await caller.startTls({ key: { certFile: "server.crt", keyFile: "server.key" } });
   * },
   * ```
   */
  async startTls(secureSocket: ListenerSecureSocket, options: StartTlsOptions = {}): Promise<void> {
    await this.#host.startTls(secureSocket, options?.unconsumed);
  }

  /** Flushes what was written, closes the connection and resolves when it is closed. */
  close(): Promise<void> {
    return this.#host.close();
  }
}
