/**
 * The peer of one listener connection, as handlers see it.
 *
 * @module
 */
import type { ByteData } from "../core/bytes.js";
import type { TlsInfo } from "../tls/tls-info.js";
import type { ProxyInfo } from "../proxy/header.js";

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
  /** The peer's IP address (no reverse lookup); behind a PROXY protocol balancer, the client's, from the header. */
  readonly remoteHost: string;
  readonly remotePort: number;
  /** The local IP address the peer connected to; with a PROXY header, the address the client connected to on the balancer. */
  readonly localHost: string;
  readonly localPort: number;
  /** What the TLS handshake settled (protocol, cipher, ALPN, client certificate); `undefined` for plain TCP. */
  readonly tls: TlsInfo | undefined;
  /**
   * The PROXY protocol header the connection began with, and `via`, the balancer's own address
   * (the socket peer); `undefined` on a listener without `proxyProtocol`.
   */
  readonly proxy: ProxyInfo | undefined;
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
    this.proxy = host.proxy;
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
