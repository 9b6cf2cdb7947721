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
import { ConnectError, Messages, TcpError, TlsError, abortedError, withCause } from "../core/errors.js";
import { isValidPort } from "../core/units.js";
import { outsidePinnedCiphers } from "../tls/cipher-pin.js";
import { guardHandshakes } from "../tls/handshake-guard.js";
import { HANDSHAKE_FAILED, handshakeFailed } from "../tls/tls-errors.js";
import type { ClientTlsSettings, ListenerTlsSettings } from "../tls/secure-config.js";

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
  const local = options.localHost === undefined ? undefined : await resolveLocalHost(options.localHost);
  if (signal?.aborted) throw abortedError(signal);

  const socketOptions: net.NetConnectOpts = {
    host,
    port,
    noDelay: options.noDelay,
    keepAlive: options.keepAliveMs !== false,
    keepAliveInitialDelay: options.keepAliveMs === false ? 0 : options.keepAliveMs,
    allowHalfOpen: false,
    ...(local === undefined ? {} : { localAddress: local.address, family: local.family }),
  };
  const secure = options.tls;
  const socket = secure === undefined ? net.connect(socketOptions) : tls.connect({ ...socketOptions, ...secure.connectOptions });
  if (secure !== undefined) secure.attach(socket as tls.TLSSocket);
  return new Promise<net.Socket>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let handshakeTimer: NodeJS.Timeout | undefined;
    let tcpConnected = false;
    const finish = (error: TcpError | undefined): void => {
      if (timer !== undefined) clearTimeout(timer);
      if (handshakeTimer !== undefined) clearTimeout(handshakeTimer);
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
      if (secure === undefined) return onReady();
      if (secure.handshakeTimeoutMs > 0) {
        handshakeTimer = setTimeout(() => {
          const seconds = secure.handshakeTimeoutMs / 1000;
          finish(new TlsError(`${Messages.connect}: ${HANDSHAKE_FAILED}: timed out after ${seconds}s`));
        }, secure.handshakeTimeoutMs);
      }
    };
    // After TCP connect, a failure is the handshake's (refused version, cipher, certificate, name).
    const onError = (error: Error): void =>
      finish(
        secure !== undefined && tcpConnected
          ? handshakeFailed(error, `${Messages.connect}: `)
          : new ConnectError(withCause(Messages.connect, error), { cause: error }),
      );
    const onAbort = (): void => finish(abortedError(signal!));
    socket.once("connect", onConnect);
    if (secure !== undefined) socket.once("secureConnect", onReady);
    socket.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
    if (options.connectTimeoutMs > 0) {
      timer = setTimeout(() => {
        finish(new ConnectError(`${Messages.connect}: connection timed out after ${options.connectTimeoutMs / 1000}s`));
      }, options.connectTimeoutMs);
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
}

/**
 * Creates a server whose sockets start paused (nothing is read before the
 * service has said how to handle the connection) and keep their write side
 * open after the peer's FIN (so a last reply still goes out), and binds it.
 */
export async function createListeningServer(options: ServerOptions): Promise<net.Server> {
  const socketOptions = { pauseOnConnect: true, allowHalfOpen: true, noDelay: options.noDelay };
  let server: net.Server;
  if (options.tls === undefined) {
    server = net.createServer(socketOptions);
    server.on("connection", options.onConnection);
  } else {
    // A half-open TLS socket never reports a peer that hangs up mid-handshake (it
    // waits for the handshake time-out), so half-open is turned on only once secure.
    const tlsServer = tls.createServer({ ...options.tls.serverOptions, ...socketOptions, allowHalfOpen: false });
    const onTlsError = options.onTlsError ?? ((): void => {});
    guardHandshakes(tlsServer, { ...options.tls, onSecure: options.onConnection, onError: onTlsError });
    server = tlsServer;
  }
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
  return server;
}
