/**
 * The connected UDP client: bound to one peer, it writes datagrams to it and
 * reads only the datagrams that peer sends.
 *
 * @module
 */
import type { ByteData } from "../core/bytes.js";
import { openClientSocket, rethrowAsUdpError, type ReceiveOptions, type UdpSocketParts } from "./client.js";
import { checkReadOptions } from "../core/arguments.js";
import { UdpError, udpAlreadyClosed } from "./udp-error.js";

/** Configuration of {@link ConnectClient.connect}. Times are in seconds; 0 means no limit. */
export interface ConnectClientConfiguration {
  /** The local interface (host name or IP) to bind. */
  localHost?: string;
  /** The local port to bind. @default 0 (a free port) */
  localPort?: number;
  /** Read time-out in seconds. @default 300 */
  timeout?: number;
  /** Datagrams kept while nobody reads; more are dropped. @default 1024 */
  maxQueuedDatagrams?: number;
  /** Reads that may wait at once. @default 1024 */
  maxPendingReceives?: number;
}

/**
 * A UDP client connected to one peer.
 *
 * @example
 * ```ts
 * const client = await ConnectClient.connect("127.0.0.1", 9000, { timeout: 1 });
 * await client.writeBytes("Echo from connect client");
 * const reply = await client.readBytes();
 * await client.close();
 * ```
 */
export class ConnectClient implements AsyncDisposable {
  readonly #parts: UdpSocketParts;

  /**
   * Binds and connects to `host:port` (no packet is sent: UDP has no
   * handshake). Rejects with `Error initializing UDP Client: <cause>` for a bad
   * local or remote address.
   */
  static async connect(host: string, port: number, config?: ConnectClientConfiguration): Promise<ConnectClient> {
    return new ConnectClient(await openClientSocket(config, { host, port }));
  }

  private constructor(parts: UdpSocketParts) {
    this.#parts = parts;
  }

  /** The peer's IP address. */
  get remoteHost(): string {
    return this.#parts.endpoint.remote?.address ?? "";
  }

  /** The peer's port. */
  get remotePort(): number {
    return this.#parts.endpoint.remote?.port ?? 0;
  }

  /** The local IP address. */
  get localHost(): string {
    return this.#parts.endpoint.localHost;
  }

  /** The local port. */
  get localPort(): number {
    return this.#parts.endpoint.localPort;
  }

  /** Sends `data` to the peer as exactly one datagram (over the UDP maximum: `ERR_MESSAGE_SIZE`). */
  writeBytes(data: ByteData): Promise<void> {
    return this.#parts.endpoint.sendData(data);
  }

  /**
   * The next datagram from the peer, whole. Nothing within the time-out:
   * `Read timed out`. A refusal reported by the peer's host (no one listens
   * there) rejects the read with `Failed to receive data: ... ECONNREFUSED`.
   */
  async readBytes(options: ReceiveOptions = {}): Promise<Uint8Array> {
    const invalid = checkReadOptions(options);
    if (invalid !== undefined) throw UdpError.wrap(invalid);
    const { queue, timeoutMs } = this.#parts;
    const datagram = await queue.receive({ timeoutMs, signal: options.signal }).catch(rethrowAsUdpError);
    return datagram.data;
  }

  /** Closes the socket; reads waiting now reject. Idempotent. */
  close(): Promise<void> {
    this.#parts.queue.close(udpAlreadyClosed());
    return this.#parts.endpoint.close();
  }

  /** `await using client = await ConnectClient.connect(...)` closes it at scope end. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
