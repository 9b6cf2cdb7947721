/**
 * The UDP listener: binds a port (optionally connected to one peer) and runs
 * the attached service for every datagram, in arrival order, one at a time.
 *
 * @module
 */
import { channels, publish } from "../core/diagnostics.js";
import { withCause } from "../core/errors.js";
import { deliverError, isThenable } from "../core/guard.js";
import { Caller } from "./caller.js";
import { isDatagram, type Datagram } from "./datagram.js";
import { DatagramQueue } from "./datagram-queue.js";
import { UdpEndpoint } from "./endpoint.js";
import type { OnDatagramResult, Service } from "./service.js";
import { UdpError, UdpMessages, udpAlreadyClosed, udpReadTimeout } from "./udp-error.js";
import { checkObject, checkOptionalHost, checkPort } from "../core/arguments.js";
import { positiveInteger } from "../core/units.js";
import { openUdpSocket } from "./udp-transport.js";

/** Configuration of a UDP {@link Listener}. */
export interface ListenerConfiguration {
  /** The local interface (host name or IP) to bind; all interfaces (IPv4 and IPv6) when absent. */
  localHost?: string;
  /** With `remotePort`: serve only this peer (a connected socket). */
  remoteHost?: string;
  /** With `remoteHost`: serve only this peer. */
  remotePort?: number;
  /** Datagrams waiting while a handler runs; more are dropped. @default 1024 */
  maxQueuedDatagrams?: number;
}

/** A running listener's socket and the loop that serves it. */
interface Running {
  readonly endpoint: UdpEndpoint;
  readonly queue: DatagramQueue<Datagram>;
  readonly served: Promise<void>;
}

/**
 * Listens for UDP datagrams and serves each with the attached service. A
 * handler that throws is reported to `onError` and the listener goes on.
 *
 * @example
 * ```ts
 * const listener = new Listener(9000, { localHost: "127.0.0.1" });
 * listener.attach({ onBytes: (data) => data }); // echo
 * await listener.start();
 * // ...
 * await listener.gracefulStop();
 * ```
 */
export class Listener {
  readonly #port: number;
  readonly #config: ListenerConfiguration;
  #service: Service | undefined;
  #running: Running | undefined;
  #starting = false;
  #immediate = false;

  /** Keeps the configuration; nothing is checked or bound until {@link start}. */
  constructor(port: number, config?: ListenerConfiguration) {
    this.#port = port;
    this.#config = config === undefined ? {} : config; // null and other non-objects are refused by start()
  }

  /** The bound port after {@link start}; the configured port before. */
  get localPort(): number {
    return this.#running?.endpoint.localPort ?? this.#port;
  }

  /** Datagrams dropped because too many waited while a handler ran. */
  get droppedDatagrams(): number {
    return this.#running?.queue.dropped ?? 0;
  }

  /**
   * Attaches the service. It must have exactly one of `onBytes` and
   * `onDatagram` (a `UdpError` with code `ERR_INVALID_ARGUMENT` otherwise).
   * One service at a time.
   */
  attach(service: Service): void {
    const candidate = service as Partial<Record<"onBytes" | "onDatagram" | "onError", unknown>> | null;
    if (candidate === null || typeof candidate !== "object") {
      throw new UdpError("A UDP service must be an object", { code: "ERR_INVALID_ARGUMENT" });
    }
    const handlers = [candidate.onBytes, candidate.onDatagram].filter((f) => f !== undefined);
    if (handlers.length !== 1 || typeof handlers[0] !== "function") {
      throw new UdpError("A UDP service needs exactly one of onBytes(data, caller) and onDatagram(datagram, caller)", {
        code: "ERR_INVALID_ARGUMENT",
      });
    }
    if (candidate.onError !== undefined && typeof candidate.onError !== "function") {
      throw new UdpError("A UDP service's onError must be a function", { code: "ERR_INVALID_ARGUMENT" });
    }
    if (this.#service !== undefined && this.#service !== service) {
      throw new UdpError("A service is already attached to the listener; detach it first", { code: "ERR_LISTENER" });
    }
    this.#service = service;
  }

  /** Detaches `service`; datagrams that arrive with no service attached are dropped. */
  detach(service: Service): void {
    if (this.#service === undefined || this.#service !== service) {
      throw new UdpError(UdpMessages.notAttached, { code: "ERR_LISTENER" });
    }
    this.#service = undefined;
  }

  /**
   * Binds (and connects, with `remoteHost`/`remotePort`) and starts serving.
   * Rejects with a `UdpError` (`Unable to initialize UDP Listener: <cause>`)
   * for a bad port or host or a port in use, and with
   * `Required both remoteHost and remotePort to connect to remote address.`
   * when only one of them is given.
   */
  async start(): Promise<void> {
    if (this.#running !== undefined || this.#starting) {
      throw new UdpError("The listener is already started", { code: "ERR_LISTENER" });
    }
    let config: ListenerConfiguration;
    let maxQueued: number;
    try {
      config = checkObject(this.#config, "config");
      checkPort(this.#port, "port", 0);
      checkOptionalHost(config.localHost, "localHost");
      checkOptionalHost(config.remoteHost, "remoteHost");
      if (config.remotePort !== undefined) checkPort(config.remotePort, "remotePort", 1);
      maxQueued = positiveInteger(config.maxQueuedDatagrams, 1024, "maxQueuedDatagrams");
    } catch (error) {
      throw new UdpError(withCause(UdpMessages.listenerInit, error), { code: "ERR_INVALID_ARGUMENT", cause: error });
    }
    const { remoteHost, remotePort, localHost } = config;
    if ((remoteHost === undefined) !== (remotePort === undefined)) {
      throw new UdpError(UdpMessages.remoteAddressPair, { code: "ERR_INVALID_ARGUMENT" });
    }
    this.#starting = true;
    try {
      const remote = remoteHost === undefined || remotePort === undefined ? undefined : { host: remoteHost, port: remotePort };
      const opened = await openUdpSocket({ localHost, localPort: this.#port, remote });
      const queue = new DatagramQueue<Datagram>({ maxQueued, maxPendingReceives: 1, timeoutError: udpReadTimeout });
      const endpoint = new UdpEndpoint(opened, {
        onDatagram: (datagram) => {
          // Overload: counted and published, not sent to onError (which would add work per lost datagram).
          if (!queue.push(datagram) && !queue.closed) {
            publish(channels.error, () => ({
              error: new UdpError(`Datagram from ${datagram.remoteHost}:${datagram.remotePort} dropped: ${maxQueued} datagrams wait already`),
            }));
          }
        },
        onError: (error) => this.#report(error),
      });
      this.#immediate = false;
      this.#running = { endpoint, queue, served: this.#serve(endpoint, queue) };
    } catch (error) {
      throw new UdpError(withCause(UdpMessages.listenerInit, error), { code: "ERR_LISTENER", cause: error });
    } finally {
      this.#starting = false;
    }
  }

  /**
   * Stops receiving; the handler in flight finishes and its reply is sent;
   * datagrams not yet handled are dropped; then the socket closes. Before
   * `start`: `Unable to initialize the udp listener.`.
   */
  async gracefulStop(): Promise<void> {
    const running = this.#take();
    running.queue.close(udpAlreadyClosed());
    await running.served;
    await running.endpoint.close();
  }

  /** Closes the socket now, without waiting for a handler in flight (its reply fails quietly). */
  async immediateStop(): Promise<void> {
    const running = this.#take();
    this.#immediate = true;
    running.queue.close(udpAlreadyClosed());
    await running.endpoint.close();
  }

  #take(): Running {
    const running = this.#running;
    if (running === undefined) throw new UdpError(UdpMessages.listenerNotStarted, { code: "ERR_LISTENER" });
    this.#running = undefined;
    return running;
  }

  /** Hands datagrams to the service one at a time until the queue closes. */
  async #serve(endpoint: UdpEndpoint, queue: DatagramQueue<Datagram>): Promise<void> {
    for (;;) {
      // A backlog is served without a promise per datagram.
      let datagram = queue.shift();
      if (datagram === undefined) {
        try {
          datagram = await queue.receive({ timeoutMs: 0 });
        } catch {
          return; // closed by a stop
        }
      }
      const service = this.#service;
      if (service !== undefined) await this.#handle(service, endpoint, datagram);
    }
  }

  async #handle(service: Service, endpoint: UdpEndpoint, datagram: Datagram): Promise<void> {
    const caller = new Caller(endpoint, datagram.remoteHost, datagram.remotePort);
    let result: OnDatagramResult;
    try {
      const returned =
        service.onBytes !== undefined ? service.onBytes(datagram.data, caller) : service.onDatagram(datagram, caller);
      result = isThenable<OnDatagramResult>(returned) ? await returned : returned;
    } catch (error) {
      this.#report(UdpError.wrap(error), service);
      return;
    }
    if (result === undefined || result === null) return;
    if (result instanceof Error) {
      this.#report(UdpError.wrap(result), service);
      return;
    }
    try {
      if (typeof result === "string" || result instanceof Uint8Array) {
        await caller.sendBytes(result);
      } else if (isDatagram(result)) {
        await caller.sendDatagram(result);
      } else {
        this.#report(new UdpError("A handler returned something that is neither bytes nor a datagram", { code: "ERR_HANDLER" }), service);
      }
    } catch (error) {
      if (this.#immediate && endpoint.closing) return; // the reply lost to immediateStop
      this.#report(UdpError.wrap(error, "ERR_WRITE"), service);
    }
  }

  /** To the service's `onError`, else the `tcpkit:error` diagnostics channel; never throws. */
  #report(error: UdpError, service: Service | undefined = this.#service): void {
    const onError = service?.onError;
    deliverError(undefined, error, onError === undefined ? undefined : (e: UdpError) => onError.call(service, e));
  }
}
