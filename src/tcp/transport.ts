/**
 * The one place that creates sockets: it turns a validated configuration into
 * a connected client socket or a listening server, plain or TLS (a TLS socket
 * is handed on only after its handshake), so everything above it deals only
 * in connected `net.Socket`s.
 *
 * @module
 */
import { lookup } from "node:dns/promises";
import net from "node:net";
import tls from "node:tls";
import { ConnectError, Messages, TcpError, TlsError, abortedError, timedOut, withCause } from "../core/errors.js";
import { realClock, type TimerHandle } from "../core/clock.js";
import { isValidPort } from "../core/units.js";
import { outsidePinnedCiphers } from "../tls/cipher-pin.js";
import { abortHandshakes, guardHandshakes } from "../tls/handshake-guard.js";
import { HANDSHAKE_FAILED, handshakeFailed } from "../tls/tls-errors.js";
import type { ClientTlsSettings, ListenerTlsSettings } from "../tls/secure-config.js";
import type { ProxyInfo } from "../proxy/header.js";
import type { ProxyAcceptSettings } from "../proxy/listener-settings.js";
import { TlsHandover, gateProxyHeaders, plainHandover } from "./proxy-accept.js";

/** What {@link connectSocket} needs; times in milliseconds. */
export interface SocketConnectOptions {
  host: string;
  port: number;
  localHost?: string | undefined;
  connectTimeoutMs: number;
  noDelay: boolean;
  /** Keep-alive initial delay in ms, or false. */
  keepAliveMs: number | false;
  signal?: AbortSignal | undefined;
  /** TLS on: resolve only after the handshake. */
  tls?: ClientTlsSettings | undefined;
  /** A PROXY protocol header to send first, before the TLS handshake. */
  proxyHeader?: Uint8Array | undefined;
}

/**
 * Resolves a local interface name to an address. An invalid `localAddress`
 * makes `net.connect` throw after opening a handle, so it is checked first.
 */
async function resolveLocalHost(localHost: string): Promise<{ address: string; family: 4 | 6 }> {
  const family = net.isIP(localHost);
  if (family === 4 || family === 6) return { address: localHost, family };
  try {
    const found = await lookup(localHost);
    return { address: found.address, family: found.family === 6 ? 6 : 4 };
  } catch (error) {
    throw new ConnectError(withCause(`${Messages.connect}: invalid local interface '${localHost}'`, error), {
      cause: error,
    });
  }
}

/** Connects and resolves with a socket that is ready for use. */
export async function connectSocket(options: SocketConnectOptions): Promise<net.Socket> {
  const { host, port, signal } = options;
  if (typeof host !== "string" || host.length === 0) {
    throw new ConnectError(`${Messages.connect}: host must be a non-empty string`);
  }
  if (!isValidPort(port, 1)) {
    throw new ConnectError(`${Messages.connect}: port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  if (signal?.aborted) throw abortedError(signal);
  const secure = options.tls;
  // A PROXY header goes out before the ClientHello: connect plainly (that sends it), then start TLS.
  const startedAt = Date.now();
  const raw = secure !== undefined && options.proxyHeader !== undefined ? await connectSocket({ ...options, tls: undefined }) : undefined;
  const local = options.localHost === undefined || raw !== undefined ? undefined : await resolveLocalHost(options.localHost);
  if (signal?.aborted) {
    raw?.destroy();
    throw abortedError(signal);
  }

  const socketOptions: net.NetConnectOpts = {
    host,
    port,
    noDelay: options.noDelay,
    keepAlive: options.keepAliveMs !== false,
    keepAliveInitialDelay: options.keepAliveMs === false ? 0 : options.keepAliveMs,
    // The peer's FIN ends our reading, not our writing: TCP's two directions are
    // independent, and a client may still have to send (ncat -l </dev/null).
    allowHalfOpen: true,
    ...(local === undefined ? {} : { localAddress: local.address, family: local.family }),
  };
  const socket =
    secure === undefined
      ? net.connect(socketOptions)
      : tls.connect(raw === undefined ? { ...socketOptions, ...secure.connectOptions } : { ...secure.connectOptions, socket: raw });
  if (secure !== undefined) secure.attach(socket as tls.TLSSocket);
  return new Promise<net.Socket>((resolve, reject) => {
    const clock = realClock;
    let timer: TimerHandle | undefined;
    let handshakeTimer: TimerHandle | undefined;
    let tcpConnected = false;
    const finish = (error: TcpError | undefined): void => {
      if (timer !== undefined) clock.clearTimer(timer);
      if (handshakeTimer !== undefined) clock.clearTimer(handshakeTimer);
      signal?.removeEventListener("abort", onAbort);
      socket.removeListener("error", onError);
      socket.removeListener("connect", onConnect);
      socket.removeListener("secureConnect", onReady);
      if (error === undefined) {
        resolve(socket);
      } else {
        socket.destroy();
        reject(error);
      }
    };
    // The runtime's TLS library may have used a suite outside the configured ones (see cipher-pin).
    const onReady = (): void =>
      finish(secure === undefined ? undefined : outsidePinnedCiphers(socket as tls.TLSSocket, secure.allowedCiphers, `${Messages.connect}: `));
    const onConnect = (): void => {
      tcpConnected = true;
      if (secure === undefined) {
        if (options.proxyHeader !== undefined) socket.write(options.proxyHeader);
        return onReady();
      }
      if (secure.handshakeTimeoutMs > 0) {
        const timedOut = (): void => {
          const seconds = secure.handshakeTimeoutMs / 1000;
          finish(new TlsError(`${Messages.connect}: ${HANDSHAKE_FAILED}: timed out after ${seconds}s`));
        };
        handshakeTimer = clock.setTimer(secure.handshakeTimeoutMs, timedOut, undefined);
      }
    };
    // After TCP connect, a failure is the handshake's (refused version, cipher, certificate, name).
    const onError = (error: Error): void =>
      finish(
        secure !== undefined && tcpConnected
          ? handshakeFailed(error, `${Messages.connect}: `)
          : new ConnectError(withCause(Messages.connect, error), { cause: error }),
      );
    const onAbort = (): void =>
      finish(
        timedOut(signal!)
          ? new ConnectError(`${Messages.connect}: connection timed out (its AbortSignal timed out)`, { cause: signal!.reason })
          : abortedError(signal!),
      );
    socket.once("connect", onConnect);
    if (secure !== undefined) socket.once("secureConnect", onReady);
    if (raw !== undefined) onConnect(); // TCP is connected already; the handshake starts now
    socket.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (options.connectTimeoutMs > 0) {
      const timedOut = (): void => {
        finish(new ConnectError(`${Messages.connect}: connection timed out after ${options.connectTimeoutMs / 1000}s`));
      };
      // The time spent sending a PROXY header first counts too.
      timer = clock.setTimer(Math.max(1, options.connectTimeoutMs - (Date.now() - startedAt)), timedOut, undefined);
    }
  });
}

/** What {@link createListeningServer} needs. */
export interface ServerOptions {
  port: number;
  localHost?: string | undefined;
  noDelay: boolean;
  onConnection: (socket: net.Socket) => void;
  /** TLS on: `onConnection` gets only sockets that completed the handshake. */
  tls?: ListenerTlsSettings | undefined;
  /** Failed handshakes (TLS only). */
  onTlsError?: ((error: TlsError) => void) | undefined;
  /**
   * Open sockets (in the TLS handshake, sending a PROXY header, or served)
   * beyond which the kernel's next connection is closed on accept, before a
   * byte is read; `onDrop` hears of it. Absent: no limit.
   */
  maxConnections?: number | undefined;
  /** A connection closed on accept by `maxConnections`; the peer address when the OS still had it. */
  onDrop?: ((peer: { remoteAddress?: string; remotePort?: number }) => void) | undefined;
  /**
   * Runs for every accepted TCP socket before anything else (before a PROXY
   * header or the TLS handshake is read): `false` refuses it (the callee has
   * destroyed it). The place for per-peer limits.
   */
  admit?: ((socket: net.Socket) => boolean) | undefined;
  /** PROXY protocol on: `onConnection` gets sockets whose header was read (before TLS). */
  proxy?: ProxyAcceptSettings | undefined;
  /** Refused PROXY headers (proxy only); the socket is closed already. */
  onProxyError?: ((error: TcpError) => void) | undefined;
  /**
   * PROXY protocol: runs when a socket's header has been read, before the TLS
   * handshake, with the header and how many bytes it took: `false` refuses the
   * socket (the callee has destroyed it). The place for limits by the client's
   * address, which only the header knows.
   */
  admitProxied?: ((socket: net.Socket, info: ProxyInfo, headerBytes: number) => boolean) | undefined;
}

/** A bound server, and the TLS server its sockets are handed to (TLS only). */
export interface ListeningServer {
  /** The server that owns the port; it counts every open socket. */
  readonly server: net.Server;
  /**
   * Never bound: accepted sockets are injected into it (its documented
   * `'connection'` event) for the handshake. Its secure context can be replaced.
   */
  readonly tlsServer: tls.Server | undefined;
}

/**
 * Creates a server whose sockets start paused (nothing is read before the
 * service has said how to handle the connection) and keep their write side
 * open after the peer's FIN (so a last reply still goes out), and binds it.
 *
 * The port is always owned by a plain `net.Server`, TLS or not: it counts
 * every socket from accept to close (so `maxConnections` holds connections
 * still in their handshake too), and a socket reaches TLS only after `admit`.
 */
export async function createListeningServer(options: ServerOptions): Promise<ListeningServer> {
  const socketOptions = { pauseOnConnect: true, allowHalfOpen: true, noDelay: options.noDelay };
  // One accept path for every kind of listener:
  //   net.Server (owns the port; maxConnections) → admit (per-host limit, fd watch)
  //   → PROXY header (optional; then admitProxied with the client's address)
  //   → TLS handshake on the unbound tls.Server (optional) → onConnection.
  let tlsServer: tls.Server | undefined;
  /** The last stage before `onConnection`: the TLS handshake, or nothing. */
  let handOn: (socket: net.Socket) => void = options.onConnection;
  /** The same, for a socket whose PROXY header was read (the header goes with it). */
  let handOnProxied: (socket: net.Socket, info: ProxyInfo) => void = plainHandover(options.onConnection);
  if (options.tls !== undefined) {
    // A half-open TLS socket never reports a peer that hangs up mid-handshake (it
    // waits for the handshake time-out), so half-open is turned on only once secure.
    socketOptions.allowHalfOpen = false;
    const secureServer = tls.createServer({ ...options.tls.serverOptions, ...socketOptions });
    const onTlsError = options.onTlsError ?? ((): void => {});
    // The TLS socket of a PROXY connection takes the header of the TCP socket it wraps.
    const handover = options.proxy === undefined ? undefined : new TlsHandover(secureServer);
    const onSecure =
      handover === undefined
        ? options.onConnection
        : (socket: tls.TLSSocket): void => {
            handover.claim(socket);
            options.onConnection(socket);
          };
    guardHandshakes(secureServer, { ...options.tls, onSecure, onError: onTlsError });
    handOn = (socket) => secureServer.emit("connection", socket);
    if (handover !== undefined) handOnProxied = handover.start;
    tlsServer = secureServer;
  }
  const server = net.createServer(socketOptions);
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  if (options.onDrop !== undefined) server.on("drop", (peer?: { remoteAddress?: string; remotePort?: number }) => options.onDrop!(peer ?? {}));
  const proxy = options.proxy;
  let afterAdmit = handOn;
  if (proxy !== undefined) {
    const admitProxied = options.admitProxied;
    const onReady =
      admitProxied === undefined
        ? handOnProxied
        : (socket: net.Socket, info: ProxyInfo): void => {
            // The socket is paused with the bytes after the header unshifted: those are not the header's.
            if (admitProxied(socket, info, socket.bytesRead - socket.readableLength)) handOnProxied(socket, info);
          };
    const secureServer = tlsServer;
    const onAbort = secureServer === undefined ? undefined : (): void => abortHandshakes(secureServer);
    afterAdmit = gateProxyHeaders(server, proxy, { onReady, onError: options.onProxyError ?? ((): void => {}), onAbort });
  }
  const admit = options.admit;
  server.on(
    "connection",
    admit === undefined
      ? afterAdmit
      : (socket: net.Socket): void => {
          if (admit(socket)) afterAdmit(socket);
        },
  );
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      server.removeListener("listening", onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.removeListener("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ port: options.port, ...(options.localHost === undefined ? {} : { host: options.localHost }) });
  });
  return { server, tlsServer };
}
