/**
 * The connectionless UDP client: send a datagram to any address, receive
 * whole datagrams with the address of whoever sent them.
 *
 * @module
 */
import { withCause } from "../core/errors.js";
import { checkHost, checkObject, checkOptionalHost, checkPort, checkReadOptions } from "../core/arguments.js";
import { positiveInteger, secondsToMs } from "../core/units.js";
import type { Datagram, OutgoingDatagram } from "./datagram.js";
import { DatagramQueue } from "./datagram-queue.js";
import { UdpEndpoint } from "./endpoint.js";
import { UdpError, UdpMessages, udpAlreadyClosed, udpReadTimeout } from "./udp-error.js";
import { openUdpSocket } from "./udp-transport.js";

/** Configuration of {@link Client.create}. Times are in seconds; 0 means no limit. */
export interface ClientConfiguration {
  /** The local interface (host name or IP) to bind; all interfaces (IPv4 and IPv6) when absent. */
  localHost?: string;
  /** The local port to bind. @default 0 (a free port) */
  localPort?: number;
  /** Receive time-out in seconds. @default 300 */
  timeout?: number;
  /** Datagrams kept while nobody receives; more are dropped. @default 1024 */
  maxQueuedDatagrams?: number;
  /** Receives that may wait at once. @default 1024 */
  maxPendingReceives?: number;
}

/** Options of a receive. */
export interface ReceiveOptions {
  /** Abort the receive; the datagram it would have taken stays for the next one. */
  signal?: AbortSignal;
}

/** The parts of {@link Client} and {@link ConnectClient} that are the same. */
export interface UdpSocketParts {
  readonly endpoint: UdpEndpoint;
  readonly queue: DatagramQueue<Datagram>;
  readonly timeoutMs: number;
}

/**
 * Validates the shared configuration, binds, and wires the socket to a
 * receive queue. Rejects with `Error initializing UDP Client: <cause>`.
 */
export async function openClientSocket(
  configuration: ClientConfiguration | undefined,
  remote?: { readonly host: unknown; readonly port: unknown },
): Promise<UdpSocketParts> {
  let config: ClientConfiguration;
  let timeoutMs: number;
  let maxQueued: number;
  let maxPendingReceives: number;
  let checkedRemote: { host: string; port: number } | undefined;
  try {
    config = checkObject(configuration, "config");
    checkOptionalHost(config.localHost, "localHost");
    if (config.localPort !== undefined) checkPort(config.localPort, "localPort", 0);
    if (remote !== undefined) checkedRemote = { host: checkHost(remote.host, "host"), port: checkPort(remote.port, "port", 1) };
    timeoutMs = secondsToMs(config.timeout, 300, "timeout");
    maxQueued = positiveInteger(config.maxQueuedDatagrams, 1024, "maxQueuedDatagrams");
    maxPendingReceives = positiveInteger(config.maxPendingReceives, 1024, "maxPendingReceives");
  } catch (error) {
    throw new UdpError(withCause(UdpMessages.clientInit, error), { code: "ERR_INVALID_ARGUMENT", cause: error });
  }
  let opened;
  try {
    opened = await openUdpSocket({ localHost: config.localHost, localPort: config.localPort, remote: checkedRemote });
  } catch (error) {
    const code = error instanceof RangeError || error instanceof TypeError ? "ERR_INVALID_ARGUMENT" : "ERR_BIND";
    throw new UdpError(withCause(UdpMessages.clientInit, error), { code, cause: error });
  }
  const queue = new DatagramQueue<Datagram>({
    maxQueued,
    maxPendingReceives,
    timeoutError: udpReadTimeout,
  });
  const endpoint = new UdpEndpoint(opened, {
    onDatagram: (datagram) => queue.push(datagram),
    onError: (error) => queue.fail(error),
  });
  return { endpoint, queue, timeoutMs };
}

/**
 * A connectionless UDP client.
 *
 * @example
 * ```ts
 * const client = await Client.create({ timeout: 5 });
 * await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: 9000, data: "Hello" });
 * const reply = await client.receiveDatagram();
 * console.log(reply.remoteHost, reply.remotePort, Buffer.from(reply.data).toString());
 * await client.close();
 * ```
 */
export class Client implements AsyncDisposable {
  readonly #parts: UdpSocketParts;

  /**
   * Binds the client (to `localHost`/`localPort` when given). Rejects with a
   * `UdpError` `Error initializing UDP Client: <cause>` when it cannot.
   */
  static async create(config?: ClientConfiguration): Promise<Client> {
    return new Client(await openClientSocket(config));
  }

  /**
   * @internal The 1.2.0 `UdpClient`'s way in: its receive time-out comes in
   * milliseconds (`config.timeout`, in seconds, is not read).
   */
  static async createWithTimeoutMs(config: Omit<ClientConfiguration, "timeout">, timeoutMs: number): Promise<Client> {
    const parts = await openClientSocket(config);
    return new Client({ ...parts, timeoutMs });
  }

  private constructor(parts: UdpSocketParts) {
    this.#parts = parts;
  }

  /** The local IP address the client is bound to. */
  get localHost(): string {
    return this.#parts.endpoint.localHost;
  }

  /** The local port the client is bound to. */
  get localPort(): number {
    return this.#parts.endpoint.localPort;
  }

  /** Datagrams dropped because too many waited unreceived. */
  get droppedDatagrams(): number {
    return this.#parts.queue.dropped;
  }

  /**
   * Sends `datagram.data` as exactly one datagram. A payload over the UDP
   * maximum (65507 bytes over IPv4) rejects with code `ERR_MESSAGE_SIZE`.
   */
  sendDatagram(datagram: OutgoingDatagram): Promise<void> {
    return this.#parts.endpoint.sendDatagram(datagram);
  }

  /**
   * The next datagram, whole, with the sender's address. Nothing within the
   * time-out: `Read timed out` (the client stays usable).
   */
  receiveDatagram(options: ReceiveOptions = {}): Promise<Datagram> {
    const invalid = checkReadOptions(options);
    if (invalid !== undefined) return Promise.reject(UdpError.wrap(invalid));
    const { queue, timeoutMs } = this.#parts;
    return queue.receive({ timeoutMs, signal: options.signal }).catch(rethrowAsUdpError);
  }

  /** Closes the socket; receives waiting now reject. Idempotent. */
  close(): Promise<void> {
    this.#parts.queue.close(udpAlreadyClosed());
    return this.#parts.endpoint.close();
  }

  /** `await using client = await Client.create()` closes it at scope end. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Receives reject with `UdpError`s only (the queue's abort errors included). */
export function rethrowAsUdpError(error: unknown): never {
  throw UdpError.wrap(error, "ERR_SOCKET");
}
