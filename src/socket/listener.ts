/**
 * The 1.2.0 `socket:Listener`, on tcpkit's TCP {@link CoreListener}: each
 * connection becomes a {@link Caller} whose `read()` takes the bytes the core
 * delivers; the service's `onConnect`, `onReadReady` (at most one at a time
 * per connection) and `onError(caller, error)` run as in Ballerina 1.2.0.
 *
 * @module
 */
import type { Caller as CoreCaller } from "../tcp/caller.js";
import { Listener as CoreListener } from "../tcp/listener.js";
import type { Service as CoreService } from "../tcp/service.js";
import { adoptConnection, type SocketService } from "./client.js";
import type { SocketChannel } from "./socket-feed.js";
import { GenericError, checkMillis, toSocketError } from "./errors.js";
import { invalidArgument } from "../core/units.js";

/** Configuration of a 1.2.0 {@link Listener}. */
export interface ListenerConfig {
  /** The local interface (host name or IP) to bind; all interfaces when absent. */
  interface?: string;
  /** Time-out of `caller.read()` in milliseconds; 0 waits for ever. @default 300000 */
  readTimeoutInMillis?: number;
}

function channelOf(caller: CoreCaller): SocketChannel {
  return {
    write: (data) => caller.writeBytes(data),
    shutdownWrite: () =>
      Promise.reject(new GenericError("shutdownWrite is not available on a listener's caller; use close()", { code: "ERR_INVALID_ARGUMENT" })),
    close: () => caller.close(),
    remoteAddress: caller.remoteHost,
    remotePort: caller.remotePort,
    localAddress: caller.localHost,
    localPort: caller.localPort,
  };
}

/**
 * Listens for TCP connections and serves them with a 1.2.0 service.
 *
 * @example
 * ```ts
 * const server = new Listener(61598);
 * server.attach({
 *   async onReadReady(caller) {
 *     const [content, length] = await caller.read();
 *     if (length > 0) await caller.write(content); // echo
 *   },
 * });
 * await server.start();
 * ```
 */
export class Listener {
  readonly #core: CoreListener;
  readonly #config: ListenerConfig;
  #service: SocketService | undefined;
  #bridge: CoreService | undefined;

  /** Keeps the configuration; nothing is bound until {@link start}. */
  constructor(port: number, config: ListenerConfig = {}) {
    if (config === null || typeof config !== "object") throw toSocketError(invalidArgument("config", "an object", config));
    this.#config = config;
    this.#core = new CoreListener(port, config.interface === undefined ? {} : { localHost: config.interface });
  }

  /** The bound port after {@link start}; the configured port before. */
  get localPort(): number {
    return this.#core.localPort;
  }

  /** Attaches the service; one at a time. */
  attach(service: SocketService): void {
    if (service === null || typeof service !== "object") {
      throw new GenericError("A socket service must be an object", { code: "ERR_INVALID_ARGUMENT" });
    }
    if (this.#service !== undefined && this.#service !== service) {
      throw new GenericError("A service is already attached to the listener; detach it first", { code: "ERR_LISTENER" });
    }
    const readTimeoutMs = checkMillis(this.#config.readTimeoutInMillis, 300_000, "readTimeoutInMillis");
    const bridge: CoreService = {
      onConnect: (coreCaller) => adoptConnection(channelOf(coreCaller), service, readTimeoutMs).connection,
    };
    try {
      this.#core.attach(bridge);
    } catch (error) {
      throw toSocketError(error);
    }
    this.#service = service;
    this.#bridge = bridge;
  }

  /** Detaches `service`; connections already open keep it. */
  detach(service: SocketService): void {
    if (this.#service !== service || this.#bridge === undefined) {
      throw new GenericError("service is not attached to the listener", { code: "ERR_LISTENER" });
    }
    this.#core.detach(this.#bridge);
    this.#service = undefined;
    this.#bridge = undefined;
  }

  /** Binds and starts accepting; failures are `GenericError`s with the core's message. */
  async start(): Promise<void> {
    try {
      await this.#core.start();
    } catch (error) {
      throw toSocketError(error);
    }
  }

  /** Stops accepting; each connection's handler in flight finishes, then it closes. */
  async gracefulStop(): Promise<void> {
    try {
      await this.#core.gracefulStop();
    } catch (error) {
      throw toSocketError(error);
    }
  }

  /** Stops accepting and closes every connection now. */
  async immediateStop(): Promise<void> {
    try {
      await this.#core.immediateStop();
    } catch (error) {
      throw toSocketError(error);
    }
  }
}
