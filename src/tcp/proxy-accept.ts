/**
 * The first stage of a listener with `proxyProtocol` (SPEC §10), between accept and the TLS
 * handshake or `onConnect`: refuse a peer that is not a trusted proxy, read the PROXY header
 * within `proxyHeaderTimeout`, give back the bytes that followed it, and hand the socket on.
 *
 * On a TLS listener the header comes before the ClientHello, so the bound server is a plain
 * one and the socket goes to a `tls.Server` that is never bound, through its documented
 * `'connection'` event: the handshake then runs with that server's options, time-out and
 * session keys exactly as without the header.
 *
 * @module
 */
import type net from "node:net";
import type tls from "node:tls";
import { realClock, type TimerHandle } from "../core/clock.js";
import { TcpError } from "../core/errors.js";
import type { ProxyHeader, ProxyInfo } from "../proxy/header.js";
import { ProxyHeaderParser } from "../proxy/header-parser.js";
import type { ProxyAcceptSettings } from "../proxy/listener-settings.js";
import { invalidProxyHeader, proxyHeaderTimedOut, untrustedProxy } from "../proxy/proxy-errors.js";
import { setProxyInfo } from "../proxy/proxy-info.js";

/** Where the gate hands sockets and failures. */
export interface ProxyGateHandlers {
  /** A socket whose header was read; it is paused, and the bytes after the header are its first. */
  readonly onReady: (socket: net.Socket, info: ProxyInfo) => void;
  /** A refused connection (already destroyed): bad, late or incomplete header, untrusted peer. */
  readonly onError: (error: TcpError) => void;
  /** Runs when the listener stops, after the headers in flight were dropped. */
  readonly onAbort?: (() => void) | undefined;
}

const gates = new WeakMap<net.Server, ProxyGate>();

/**
 * The PROXY header stage of `server`'s connections (whose sockets start paused): returns the
 * function to hand each accepted socket to (after the listener's own admission checks), which
 * reads its header and passes it on to `handlers.onReady`.
 *
 * @example
 * ```ts
 * const server = net.createServer({ pauseOnConnect: true });
 * const readHeader = gateProxyHeaders(server, settings, { onReady: (socket, info) => serve(socket, info), onError: report });
 * server.on("connection", readHeader);
 * ```
 */
export function gateProxyHeaders(
  server: net.Server,
  settings: ProxyAcceptSettings,
  handlers: ProxyGateHandlers,
): (socket: net.Socket) => void {
  const gate = new ProxyGate(settings, handlers);
  gates.set(server, gate);
  return (socket: net.Socket) => gate.accept(socket);
}

/** Drops the headers still being read on `server` (the listener is stopping); no failure is reported. */
export function abortProxyHeaders(server: net.Server): void {
  gates.get(server)?.abort();
}

/** The sockets of one listener that are still sending their header. */
class ProxyGate {
  readonly settings: ProxyAcceptSettings;
  readonly handlers: ProxyGateHandlers;
  readonly pending = new Set<PendingHeader>();
  stopped = false;

  constructor(settings: ProxyAcceptSettings, handlers: ProxyGateHandlers) {
    this.settings = settings;
    this.handlers = handlers;
  }

  accept(socket: net.Socket): void {
    const host = socket.remoteAddress;
    if (host === undefined || this.stopped) {
      socket.destroy(); // gone already, or accepted while stopping
      return;
    }
    if (this.settings.trusted !== undefined && !this.settings.trusted(host)) {
      // The socket starts paused: nothing of it has been read.
      socket.destroy();
      this.handlers.onError(untrustedProxy(host));
      return;
    }
    const pending = new PendingHeader(this, socket, { host, port: socket.remotePort ?? 0 });
    this.pending.add(pending);
    pending.start();
  }

  abort(): void {
    this.stopped = true;
    for (const pending of this.pending) pending.drop();
    this.pending.clear();
    this.handlers.onAbort?.();
  }
}

/** One socket until its header is complete. */
class PendingHeader {
  readonly #gate: ProxyGate;
  readonly #socket: net.Socket;
  readonly #via: ProxyInfo["via"];
  readonly #parser: ProxyHeaderParser;
  #timer: TimerHandle | undefined;

  constructor(gate: ProxyGate, socket: net.Socket, via: ProxyInfo["via"]) {
    this.#gate = gate;
    this.#socket = socket;
    this.#via = via;
    this.#parser = new ProxyHeaderParser({ accept: gate.settings.accept });
  }

  start(): void {
    const socket = this.#socket;
    socket.on("data", this.#onData);
    socket.on("error", this.#onError);
    // Sockets are half-open (a last reply may follow the peer's FIN): a FIN here ends nothing by itself.
    socket.once("end", this.#onClose);
    socket.once("close", this.#onClose);
    const ms = this.#gate.settings.headerTimeoutMs;
    if (ms > 0) this.#timer = realClock.setTimer(ms, this.#onTimeout, undefined);
    socket.resume();
  }

  /** The listener stops: close without a report. */
  drop(): void {
    this.#detach();
    this.#socket.destroy();
  }

  readonly #onData = (chunk: Buffer): void => {
    let result;
    try {
      result = this.#parser.push(chunk);
    } catch (error) {
      this.#fail(TcpError.wrap(error, "ERR_PROXY_PROTOCOL"));
      return;
    }
    if (result.status === "done") this.#done(result.header, result.rest);
  };

  readonly #onError = (error: Error): void => {
    this.#fail(new TcpError(`${closedEarly().message}: ${error.message}`, { code: "ERR_PROXY_PROTOCOL", cause: error }));
  };

  readonly #onClose = (): void => this.#fail(closedEarly());

  readonly #onTimeout = (): void => this.#fail(proxyHeaderTimedOut());

  #detach(): void {
    const socket = this.#socket;
    if (this.#timer !== undefined) realClock.clearTimer(this.#timer);
    socket.removeListener("data", this.#onData);
    socket.removeListener("error", this.#onError);
    socket.removeListener("end", this.#onClose);
    socket.removeListener("close", this.#onClose);
    this.#gate.pending.delete(this);
  }

  #fail(error: TcpError): void {
    this.#detach();
    this.#socket.destroy();
    if (!this.#gate.stopped) this.#gate.handlers.onError(error);
  }

  #done(header: ProxyHeader, rest: Buffer): void {
    this.#detach();
    const socket = this.#socket;
    // Nothing more is read until the service (or the TLS layer) is ready; what followed the
    // header in this chunk goes back in front of the socket's buffer, to be read first.
    socket.pause();
    if (rest.length > 0) socket.unshift(rest);
    this.#gate.handlers.onReady(socket, { ...header, via: this.#via });
  }
}

function closedEarly(): TcpError {
  return invalidProxyHeader("connection closed before the header was complete");
}

/** The TCP socket's peer, the same on the TLS socket that wraps it. */
const peerKey = (socket: net.Socket): string => `${socket.remoteAddress}|${socket.remotePort}`;

/**
 * Hands sockets whose header was read to a `tls.Server` that is not bound, and gives each
 * TLS socket that completes its handshake the header of its TCP socket.
 *
 * @example
 * ```ts
 * const handover = new TlsHandover(tlsServer);
 * gateProxyHeaders(server, settings, { onReady: handover.start, onError: report });
 * tlsServer.on("secureConnection", (socket) => { handover.claim(socket); serve(socket); });
 * ```
 */
export class TlsHandover {
  readonly #server: tls.Server;
  /** Headers of sockets in their handshake, by peer (one TCP connection per peer address and port). */
  readonly #handshaking = new Map<string, ProxyInfo>();

  constructor(server: tls.Server) {
    this.#server = server;
  }

  /** Starts the handshake on `socket`; the bytes after the header (unshifted) are the TLS layer's first. */
  readonly start = (socket: net.Socket, info: ProxyInfo): void => {
    const key = peerKey(socket);
    this.#handshaking.set(key, info);
    socket.once("close", () => {
      if (this.#handshaking.get(key) === info) this.#handshaking.delete(key);
    });
    this.#server.emit("connection", socket);
  };

  /** Gives the secure socket the header its TCP socket was accepted with. */
  claim(socket: tls.TLSSocket): void {
    const key = peerKey(socket);
    const info = this.#handshaking.get(key);
    if (info === undefined) return;
    this.#handshaking.delete(key);
    setProxyInfo(socket, info);
  }
}

/** Records the header on a plain socket and hands it on. */
export function plainHandover(onConnection: (socket: net.Socket) => void): ProxyGateHandlers["onReady"] {
  return (socket, info) => {
    setProxyInfo(socket, info);
    onConnection(socket);
  };
}
