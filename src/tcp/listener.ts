/**
 * The TCP listener: binds a port and runs the attached service's
 * `onConnect` for every connection.
 *
 * @module
 */
import type { AddressInfo, Server, Socket } from "node:net";
import { ServiceConnection, type ConnectionSettings } from "./connection.js";
import { channels, publish } from "../core/diagnostics.js";
import { deliverError } from "../core/guard.js";
import { ListenerError, Messages, TcpError, TlsError, withCause } from "../core/errors.js";
import type { Service } from "./service.js";
import { abortHandshakes } from "../tls/handshake-guard.js";
import { prepareListenerTls } from "../tls/secure-config.js";
import type { ListenerSecureSocket } from "../tls/secure-socket.js";
import { checkFlag, checkObject, checkOptionalHost, checkPort } from "../core/arguments.js";
import { invalidArgument, positiveInteger, secondsToMs } from "../core/units.js";
import { createListeningServer } from "./transport.js";
import { prepareProxySettings, type ProxyListenerOptions } from "../proxy/listener-settings.js";
import { abortProxyHeaders } from "./proxy-accept.js";

/**
 * Configuration of a {@link Listener}. Times are in seconds; 0 means no limit. The PROXY
 * protocol fields (`proxyProtocol`, `proxyHeaderTimeout`, `trustedProxies`) are described in
 * {@link ProxyListenerOptions}.
 */
export interface ListenerConfiguration extends ProxyListenerOptions {
  /** The local interface to bind (host name or IP); all interfaces when absent. */
  localHost?: string;
  /** TLS (and mutual TLS) settings; checked and loaded by `start()`. */
  secureSocket?: ListenerSecureSocket;
  /** Connections served at once; one more is closed on arrival. @default unlimited */
  maxConnections?: number;
  /** Close a connection after this long without a byte either way. @default 0 */
  idleTimeout?: number;
  /** Time-out of `Caller.writeBytes` and of the write-back of what `onBytes` returns. @default 300 */
  writeTimeout?: number;
  /** Disable Nagle's algorithm on accepted sockets. @default true */
  noDelay?: boolean;
}

/** How long a graceful close waits for the peer to close its side. */
const LINGER_MS = 5_000;

/**
 * The address every socket accepted by `server` has locally, when it is bound
 * to one address; `undefined` for a wildcard (the address then depends on the
 * interface a peer came in on) or a scoped IPv6 address.
 */
function boundAddress(server: Server): ConnectionSettings["localAddress"] {
  const address = server.address();
  if (address === null || typeof address !== "object") return undefined;
  const host = address.address;
  if (host === "0.0.0.0" || host === "::" || host.includes("%")) return undefined;
  return { host, port: address.port };
}

let connectionCounter = 0;

/**
 * Listens for TCP connections and serves each with the attached service.
 *
 * @example
 * ```ts
 * const listener = new Listener(3000, { localHost: "127.0.0.1" });
 * listener.attach({ onConnect: () => ({ onBytes: (data) => data }) });
 * await listener.start();
 * // ...
 * await listener.gracefulStop();
 * ```
 */
export class Listener {
  readonly #port: number;
  readonly #config: ListenerConfiguration;
  #service: Service | undefined;
  #server: Server | undefined;
  #starting = false;
  readonly #connections = new Set<ServiceConnection>();
  #settings: ConnectionSettings | undefined;

  /** Keeps the configuration; nothing is checked or bound until {@link start}. */
  constructor(port: number, config?: ListenerConfiguration) {
    this.#port = port;
    this.#config = config === undefined ? {} : config; // null and other non-objects are refused by start()
  }

  /** The bound port after {@link start}; the configured port before. */
  get localPort(): number {
    const address = this.#server?.address();
    return address !== null && typeof address === "object" ? (address as AddressInfo).port : this.#port;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Attaches the service; new connections are served by it. One service at a time. */
  attach(service: Service): void {
    if (service === null || typeof service !== "object" || typeof service.onConnect !== "function") {
      throw new TcpError("A service needs an onConnect(caller) method", { code: "ERR_INVALID_ARGUMENT" });
    }
    if (this.#service !== undefined && this.#service !== service) {
      throw new ListenerError("A service is already attached to the listener; detach it first");
    }
    this.#service = service;
  }

  /** Detaches `service`; connections already open keep it. */
  detach(service: Service): void {
    if (this.#service === undefined || this.#service !== service) throw new ListenerError(Messages.notAttached);
    this.#service = undefined;
  }

  /**
   * Binds and starts accepting. Rejects with a `ListenerError`
   * (`Error initializing the server: <cause>`) for a bad port, host or
   * setting, or a port in use, and with a `TlsError` for TLS settings that
   * are missing or do not load.
   */
  async start(): Promise<void> {
    if (this.#server !== undefined || this.#starting) throw new ListenerError("The listener is already started");
    const fail = (cause: unknown): ListenerError =>
      new ListenerError(withCause(Messages.listenerInit, cause), { cause });
    let config: ListenerConfiguration;
    try {
      config = checkObject(this.#config, "config");
      checkPort(this.#port, "port", 0);
      checkOptionalHost(config.localHost, "localHost");
      checkFlag(config.noDelay, "noDelay");
      const secureSocket: unknown = config.secureSocket;
      if (secureSocket !== undefined && (secureSocket === null || typeof secureSocket !== "object")) {
        throw invalidArgument("secureSocket", "an object", secureSocket);
      }
      const max = config.maxConnections;
      if (max !== undefined) positiveInteger(max, 0, "maxConnections");
      this.#settings = {
        writeTimeoutMs: secondsToMs(config.writeTimeout, 300, "writeTimeout"),
        idleTimeoutMs: secondsToMs(config.idleTimeout, 0, "idleTimeout"),
        lingerMs: LINGER_MS,
      };
    } catch (error) {
      throw new ListenerError(withCause(Messages.listenerInit, error), { cause: error, code: "ERR_INVALID_ARGUMENT" });
    }
    const proxy = prepareProxySettings(this.#config);
    this.#starting = true;
    try {
      const tls = await prepareListenerTls(this.#config.secureSocket);
      const server = await createListeningServer({
        port: this.#port,
        localHost: this.#config.localHost,
        noDelay: this.#config.noDelay ?? true,
        onConnection: this.#onConnection,
        tls,
        onTlsError: (error) => this.#reportListenerError(error),
        proxy,
        onProxyError: (error) => this.#reportListenerError(error),
      });
      server.on("error", (error) => this.#reportListenerError(error));
      this.#settings = { ...this.#settings, localAddress: boundAddress(server), onFinished: this.#forget };
      this.#server = server;
    } catch (error) {
      throw error instanceof TlsError ? error : fail(error);
    } finally {
      this.#starting = false;
    }
  }

  /**
   * Stops accepting; every connection finishes the handler in flight,
   * flushes its reply and closes, and its `onClose` runs. Resolves when all
   * are closed. The listener may be started again afterwards.
   */
  async gracefulStop(): Promise<void> {
    await this.#stop((connection) => connection.stop());
  }

  /** Stops accepting and destroys every connection now; resolves after every `onClose` ran. */
  async immediateStop(): Promise<void> {
    await this.#stop((connection) => connection.destroyNow());
  }

  async #stop(each: (connection: ServiceConnection) => Promise<void>): Promise<void> {
    const server = this.#server;
    if (server === undefined) throw new ListenerError(Messages.listenerNotStarted);
    this.#server = undefined;
    abortHandshakes(server);
    abortProxyHeaders(server);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.#connections].map(each));
    await closed;
  }

  readonly #onConnection = (socket: Socket): void => {
    const service = this.#service;
    const settings = this.#settings;
    if (service === undefined || settings === undefined || this.#server === undefined) {
      socket.destroy();
      return;
    }
    const max = this.#config.maxConnections;
    if (max !== undefined && this.#connections.size >= max) {
      socket.destroy();
      this.#reportListenerError(`connection from ${socket.remoteAddress}:${socket.remotePort} refused: maxConnections (${max}) reached`);
      return;
    }
    const id = (++connectionCounter).toString(36);
    const connection = new ServiceConnection(socket, id, service, settings);
    this.#connections.add(connection);
    // The caller's addresses: behind a PROXY protocol balancer, the client's, not the balancer's.
    publish(channels.listenerAccept, () => ({ id, remoteHost: connection.caller.remoteHost, remotePort: connection.caller.remotePort }));
    connection.start();
  };

  readonly #forget = (connection: ServiceConnection): void => {
    this.#connections.delete(connection);
  };

  #reportListenerError(cause: unknown): void {
    const error = cause instanceof TcpError ? cause : new ListenerError(cause instanceof Error ? cause.message : String(cause), { cause });
    const service = this.#service;
    deliverError(undefined, error, service?.onError === undefined ? undefined : (e: TcpError) => service.onError!(e));
  }
}
