/**
 * The peer of one listener connection, as handlers see it.
 *
 * @module
 */
import type { ByteData } from "../core/bytes.js";
import type { TlsInfo } from "../tls/tls-info.js";

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
  /** Writes all of `data`, in order with the connection's write-backs. */
  write(data: ByteData): Promise<void>;
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
  /** Unique among this process's connections. */
  readonly id: string;
  /** The peer's IP address (no reverse lookup). */
  readonly remoteHost: string;
  readonly remotePort: number;
  /** The local IP address the peer connected to. */
  readonly localHost: string;
  readonly localPort: number;
  /** What the TLS handshake settled (protocol, cipher, ALPN, client certificate); `undefined` for plain TCP. */
  readonly tls: TlsInfo | undefined;
  readonly #host: CallerHost;

  /** @internal The listener makes one per connection. */
  constructor(id: string, host: CallerHost) {
    this.id = id;
    this.#host = host;
    this.remoteHost = host.remoteHost;
    this.remotePort = host.remotePort;
    this.localHost = host.localHost;
    this.localPort = host.localPort;
    this.tls = host.tls;
  }

  /**
   * Writes all of `data` to the peer, in call order with write-backs from
   * `onBytes`. After the connection closed: `Socket connection already closed.`.
   */
  writeBytes(data: ByteData): Promise<void> {
    return this.#host.write(data);
  }

  /** Flushes what was written, closes the connection and resolves when it is closed. */
  close(): Promise<void> {
    return this.#host.close();
  }
}
