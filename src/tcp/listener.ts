/**
 * The TCP listener: binds a port and runs the attached service's
 * `onConnect` for every connection.
 *
 * @module
 */
import type { AddressInfo, Server, Socket } from "node:net";
import type { SecureContext, Server as TlsServer } from "node:tls";
import { TlsMessages } from "../tls/messages.js";
import { ServiceConnection, type ConnectionSettings } from "./connection.js";
import { channels, publish } from "../core/diagnostics.js";
import { deliverError } from "../core/guard.js";
import { ListenerError, Messages, TcpError, TlsError, withCause } from "../core/errors.js";
import type { Caller } from "./caller.js";
import type { Service } from "./service.js";
import { abortHandshakes } from "../tls/handshake-guard.js";
import { prepareListenerTls, type ListenerTlsSettings } from "../tls/secure-config.js";
import type { ListenerSecureSocket } from "../tls/secure-socket.js";
import { checkFlag, checkObject, checkOptionalHost, checkPort } from "../core/arguments.js";
import { invalidArgument, secondsToMs } from "../core/units.js";
import { createListeningServer } from "./transport.js";
import { ListenerStop } from "./listener-stop.js";
import { HostCounter, listenerLimits, type ListenerLimits } from "./listener-limits.js";
import { StatsCounter, type ListenerStats } from "./listener-stats.js";
import { acceptError, fdShortage, formatHost } from "./accept-errors.js";
import { FdWatch } from "./fd-watch.js";
import { realClock, type TimerHandle } from "../core/clock.js";
import { prepareProxySettings, type ProxyListenerOptions } from "../proxy/listener-settings.js";
import { abortProxyHeaders } from "./proxy-accept.js";
import type { ProxyInfo } from "../proxy/header.js";

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
  /**
   * Open connections at most, counting those still in the TLS handshake (or
   * sending a PROXY header): one more is closed on accept, before a byte is
   * read, and reported to `Service.onError`. A positive integer.
   * @default unlimited
   */
  maxConnections?: number;
  /**
   * Open connections per remote IP address at most, counted from accept
   * (before the TLS handshake); one more is closed at once and reported to
   * `Service.onError`. A positive integer. @default unlimited
   */
  maxConnectionsPerHost?: number;
  /**
   * Bytes a connection may have queued by `Caller.writeBytes` calls not
   * awaited yet; a write beyond it is refused (`ERR_WRITE_BUFFER_FULL`)
   * rather than buffered. A positive integer. @default 67108864 (64 MiB)
   */
  maxQueuedWriteBytes?: number;
  /**
   * Publish {@link Listener.stats} on the `tcpkit:listener:stats` diagnostics
   * channel every this many seconds while it has subscribers (besides every
   * `stats()` call and once when a stop finishes). `0`: no periodic publishing.
   * @default 0
   */
  statsInterval?: number;
  /** Close a connection after this long without a byte either way. @default 0 */
  idleTimeout?: number;
  /** Time-out of `Caller.writeBytes` and of the write-back of what `onBytes` returns. @default 300 */
  writeTimeout?: number;
  /** Disable Nagle's algorithm on accepted sockets. @default true */
  noDelay?: boolean;
}

/** Options of {@link Listener.gracefulStop}. */
export interface GracefulStopOptions {
  /**
   * Seconds to wait for the connections to finish; those still open then are
   * destroyed (each `onClose` still runs once). `0` or `Infinity`: no limit.
   * @default 0
   */
  timeout?: number;
}

/** The first TLS setting that differs between `a` and `b` and that only a new server can change. */
function fixedTlsSetting(a: ListenerTlsSettings, b: ListenerTlsSettings): string | undefined {
  if (a.serverOptions.requestCert !== b.serverOptions.requestCert) return "mutualSsl";
  if (a.serverOptions.rejectUnauthorized !== b.serverOptions.rejectUnauthorized || a.refuseUntrustedClients !== b.refuseUntrustedClients) {
    return "mutualSsl.verifyClient";
  }
  if (a.handshakeTimeoutMs !== b.handshakeTimeoutMs) return "handshakeTimeout";
  // The handshake guard checks the negotiated suite against the list it was started with.
  if (JSON.stringify([...(a.allowedCiphers ?? [])]) !== JSON.stringify([...(b.allowedCiphers ?? [])])) return "ciphers";
  if (JSON.stringify(a.serverOptions.ALPNProtocols) !== JSON.stringify(b.serverOptions.ALPNProtocols)) return "alpnProtocols";
  return undefined;
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

/** The accept message: the caller's addresses (behind a PROXY protocol balancer, the client's, not the balancer's). */
function acceptMessage({ id, remoteHost, remotePort }: Caller): object {
  return { id, remoteHost, remotePort };
}

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
  /** TLS only: the server that runs the handshakes (see `createListeningServer`). */
  #tlsServer: TlsServer | undefined;
  /** The TLS settings of the last `updateSecureSocket` (they win over the configuration's, also for a later `start()`). */
  #secureSocket: ListenerSecureSocket | undefined;
  #tls: ListenerTlsSettings | undefined;
  #hosts: HostCounter | undefined;
  /** PROXY protocol on: the per-host limit counts the header's client address, not the balancer's. */
  #proxied = false;
  #stats = new StatsCounter();
  readonly #fdWatch = new FdWatch();
  #statsTimer: TimerHandle | undefined;
  /** The port of the last start (what stats are published under, also after the stop). */
  #boundPort = 0;
  /** Whether `start()` has ever succeeded: from then on no stop call throws. */
  #started = false;
  #stop: ListenerStop | undefined;

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
    if (this.#stop !== undefined) throw new ListenerError("The listener is still stopping; await its stop first");
    const fail = (cause: unknown): ListenerError =>
      new ListenerError(withCause(Messages.listenerInit, cause), { cause });
    let config: ListenerConfiguration;
    let limits: ListenerLimits;
    let statsIntervalMs: number;
    try {
      config = checkObject(this.#config, "config");
      checkPort(this.#port, "port", 0);
      checkOptionalHost(config.localHost, "localHost");
      checkFlag(config.noDelay, "noDelay");
      const secureSocket: unknown = config.secureSocket;
      if (secureSocket !== undefined && (secureSocket === null || typeof secureSocket !== "object")) {
        throw invalidArgument("secureSocket", "an object", secureSocket);
      }
      limits = listenerLimits(config);
      statsIntervalMs = secondsToMs(config.statsInterval, 0, "statsInterval");
      this.#settings = {
        writer: {
          writeTimeoutMs: secondsToMs(config.writeTimeout, 300, "writeTimeout"),
          maxQueuedBytes: limits.maxQueuedWriteBytes,
        },
        idleTimeoutMs: secondsToMs(config.idleTimeout, 0, "idleTimeout"),
        lingerMs: LINGER_MS,
      };
    } catch (error) {
      throw new ListenerError(withCause(Messages.listenerInit, error), { cause: error, code: "ERR_INVALID_ARGUMENT" });
    }
    this.#hosts = limits.maxConnectionsPerHost === undefined ? undefined : new HostCounter(limits.maxConnectionsPerHost);
    const proxy = prepareProxySettings(config); // its own ListenerError naming the field
    this.#proxied = proxy !== undefined;
    this.#starting = true;
    try {
      const prepared = await prepareListenerTls(this.#secureSocket ?? config.secureSocket);
      this.#tls = prepared;
      const tls = prepared === undefined ? undefined : { ...prepared, serverOptions: { ...prepared.serverOptions, SNICallback: this.#pickContext } };
      const stats = new StatsCounter();
      const { server, tlsServer } = await createListeningServer({
        port: this.#port,
        localHost: config.localHost,
        noDelay: config.noDelay ?? true,
        onConnection: this.#onConnection,
        tls,
        onTlsError: (error) => {
          stats.tlsHandshakeFailures++;
          this.#reportListenerError(error);
        },
        maxConnections: limits.maxConnections,
        onDrop: (peer) => this.#refuse(peer, `maxConnections (${String(limits.maxConnections)}) reached`),
        admit: this.#admit,
        proxy,
        onProxyError: (error) => {
          stats.proxyHeaderFailures++;
          this.#reportListenerError(error);
        },
        admitProxied: this.#admitProxied,
      });
      server.on("error", (error) => this.#reportListenerError(acceptError(error)));
      this.#settings = { ...this.#settings, localAddress: boundAddress(server), onFinished: this.#forget };
      this.#stats = stats;
      this.#boundPort = (server.address() as AddressInfo).port;
      this.#server = server;
      this.#tlsServer = tlsServer;
      this.#started = true;
      if (statsIntervalMs > 0) this.#armStats(statsIntervalMs);
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
   *
   * With `timeout` (seconds; `0` or absent: no limit) the connections still
   * open when it runs out are destroyed as by {@link immediateStop} (each
   * `onClose` still runs once), and the stop resolves. Called again while a
   * stop is pending, it joins that stop (a shorter `timeout` applies); after
   * a stop has finished it resolves at once. Before the first `start()`:
   * `Unable to initialize the tcp listener.`.
   *
   * @example
   * ```ts
   * process.once("SIGTERM", () => void listener.gracefulStop({ timeout: 30 }));
   * ```
   */
  async gracefulStop(options: GracefulStopOptions = {}): Promise<void> {
    const timeoutMs = secondsToMs(options?.timeout, 0, "timeout");
    const stop = this.#beginStop();
    stop?.drain(timeoutMs);
    await stop?.done;
  }

  /**
   * Stops accepting and destroys every connection now; resolves after every
   * `onClose` ran. While a {@link gracefulStop} is pending it forces that stop
   * (both resolve); after a stop has finished it resolves at once.
   */
  async immediateStop(): Promise<void> {
    const stop = this.#beginStop();
    stop?.force();
    await stop?.done;
  }

  /**
   * Replaces the certificates (and the other TLS material) of a started TLS
   * listener without a restart: checks and loads `secureSocket` as `start()`
   * does, then every handshake after this resolves uses it. Open connections
   * keep the session they have. Bad material rejects (a `TlsError`, as from
   * `start()`) and the material in use stays. What the TLS server fixes at
   * `start()` cannot change this way: `mutualSsl` on or off, `verifyClient`,
   * `handshakeTimeout`, `alpnProtocols`, `ciphers` (a `TlsError` names the field).
   *
   * @example
   * ```ts
   * process.on("SIGHUP", () => {
   *   listener.updateSecureSocket(secureSocket).catch((e) => console.error("reload failed:", e.message));
   * });
   * ```
   */
  async updateSecureSocket(secureSocket: ListenerSecureSocket): Promise<void> {
    const tlsServer = this.#tlsServer;
    const current = this.#tls;
    if (this.#server === undefined || tlsServer === undefined || current === undefined) {
      throw new ListenerError("updateSecureSocket needs a started TLS listener");
    }
    const next = await prepareListenerTls(secureSocket);
    if (next === undefined) throw new TlsError(withCause(TlsMessages.sslContext, "secureSocket is required"));
    const fixed = fixedTlsSetting(current, next);
    if (fixed !== undefined) {
      throw new TlsError(withCause(TlsMessages.sslContext, `${fixed} cannot change while the listener runs; restart it`));
    }
    if (this.#tlsServer !== tlsServer) throw new ListenerError("The listener stopped while its TLS material was loading");
    try {
      tlsServer.setSecureContext(next.serverOptions);
    } catch (error) {
      throw new TlsError(withCause(TlsMessages.sslContext, error), { cause: error });
    }
    this.#tls = next;
    this.#secureSocket = secureSocket;
  }

  readonly #pickContext = (servername: string, callback: (error: Error | null, context?: SecureContext) => void): void => {
    callback(null, this.#tls?.sni.lookup(servername));
  };

  /** The stop in progress (a new one if none is); `undefined` when there is nothing to stop. */
  #beginStop(): ListenerStop | undefined {
    if (this.#stop !== undefined) return this.#stop;
    const server = this.#server;
    if (server === undefined) {
      if (!this.#started) throw new ListenerError(Messages.listenerNotStarted);
      return undefined; // already stopped: nothing left to do
    }
    this.#server = undefined;
    // Connections still in their PROXY header or TLS handshake are dropped: they are not the service's yet.
    abortProxyHeaders(server);
    if (this.#tlsServer !== undefined) abortHandshakes(this.#tlsServer);
    if (this.#statsTimer !== undefined) realClock.clearTimer(this.#statsTimer);
    this.#statsTimer = undefined;
    const stop = new ListenerStop(server, [...this.#connections]);
    this.#stop = stop;
    void stop.done.then(() => {
      if (this.#stop === stop) this.#stop = undefined;
      this.#publishStats(); // the final figures
    });
    return stop;
  }

  readonly #onConnection = (socket: Socket): void => {
    const service = this.#service;
    const settings = this.#settings;
    if (service === undefined || settings === undefined || this.#server === undefined) {
      socket.destroy();
      return;
    }
    this.#stats.accepted++;
    const connection = new ServiceConnection(socket, ++connectionCounter, service, settings);
    this.#connections.add(connection);
    publish(channels.listenerAccept, acceptMessage, connection.caller);
    connection.start();
  };

  readonly #forget = (connection: ServiceConnection): void => {
    this.#connections.delete(connection);
    this.#stats.connectionEnded(connection);
  };

  /**
   * Every accepted TCP socket, before a PROXY header or the TLS handshake:
   * the descriptor watch, and the per-host limit by the socket's peer (with
   * the PROXY protocol the peer is the balancer: {@link #admitProxied}
   * counts the client instead).
   */
  readonly #admit = (socket: Socket): boolean => {
    const shortage = this.#fdWatch.accepted();
    if (shortage !== undefined) this.#reportListenerError(fdShortage(shortage));
    return this.#proxied || this.#admitHost(socket, socket.remoteAddress, socket.remotePort);
  };

  /**
   * PROXY protocol: a socket whose header was read, before the TLS handshake.
   * The header's bytes are not payload; the per-host limit counts the header's
   * source address (the client), or the balancer's for a `LOCAL` header.
   */
  readonly #admitProxied = (socket: Socket, info: ProxyInfo, headerBytes: number): boolean => {
    // A TLS socket counts decrypted bytes only: the header, read from the TCP socket under it, is not among them.
    if (this.#tls === undefined) this.#stats.headerRead(headerBytes);
    const client = info.source ?? info.via;
    return this.#admitHost(socket, client.host, client.port);
  };

  /**
   * Counts `socket` against `host` (`maxConnectionsPerHost`); over it, `false`:
   * destroyed and reported, naming `host`:`port`.
   */
  #admitHost(socket: Socket, host: string | undefined, port: number | undefined): boolean {
    const hosts = this.#hosts;
    if (hosts === undefined || host === undefined || hosts.admit(host, socket)) return true;
    socket.destroy();
    this.#refuse({ remoteAddress: host, remotePort: port }, `maxConnectionsPerHost (${hosts.max}) reached for ${host}`);
    return false;
  }

  /** A connection closed at once by a limit: counted and reported, naming the peer. */
  #refuse(peer: { remoteAddress?: string | undefined; remotePort?: number | undefined }, reason: string): void {
    this.#stats.refused++;
    const from = peer.remoteAddress === undefined ? "an unknown peer" : `${formatHost(peer.remoteAddress)}:${String(peer.remotePort)}`;
    this.#reportListenerError(new TcpError(`connection from ${from} refused: ${reason}`, { code: "ERR_CONNECTION_LIMIT" }));
  }

  /**
   * The listener's counters since the last `start()` (see {@link ListenerStats}
   * for what each means); also published on the `tcpkit:listener:stats`
   * diagnostics channel. Cheap: one pass over the open connections.
   *
   * @example
   * ```ts
   * setInterval(() => console.log(listener.stats()), 10_000).unref();
   * ```
   */
  stats(): ListenerStats {
    const stats = this.#stats.snapshot(this.#connections);
    publish(channels.listenerStats, () => ({ port: this.#boundPort, stats }));
    return stats;
  }

  /** Publishes the stats every `ms` (re-armed through the clock, so a long interval never fires early). */
  #armStats(ms: number): void {
    const next = (listener: Listener): void => {
      listener.#publishStats();
      listener.#armStats(ms);
    };
    this.#statsTimer = realClock.setTimer(ms, next, this);
    this.#statsTimer.unref();
  }

  readonly #publishStats = (): void => {
    if (channels.listenerStats.hasSubscribers) this.stats();
  };

  #reportListenerError(cause: unknown): void {
    const error = cause instanceof TcpError ? cause : new ListenerError(cause instanceof Error ? cause.message : String(cause), { cause });
    const service = this.#service;
    deliverError(undefined, error, service?.onError === undefined ? undefined : (e: TcpError) => service.onError!(e));
  }
}
