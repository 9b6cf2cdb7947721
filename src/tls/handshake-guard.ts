/**
 * The listener side of TLS: what happens between accept and `onConnect`.
 * Only sockets that completed the handshake (and, with `verifyClient:
 * "OPTIONAL"`, did not send an untrusted certificate) reach the listener;
 * every failed handshake is closed and reported, never thrown.
 *
 * @module
 */
import type net from "node:net";
import type tls from "node:tls";
import { MAX_TIMER_MS, realClock, type TimerHandle } from "../core/clock.js";
import { TlsError } from "../core/errors.js";
import { outsidePinnedCiphers } from "./cipher-pin.js";
import { HANDSHAKE_FAILED, handshakeFailed } from "./tls-errors.js";

/** How the guard hands on sockets and failures. */
export interface HandshakeGuardOptions {
  readonly refuseUntrustedClients: boolean;
  readonly handshakeTimeoutMs: number;
  /** The configured cipher suites (IANA names); a handshake that used another is refused. */
  readonly allowedCiphers: ReadonlySet<string> | undefined;
  /** A socket that completed the handshake; it is paused. */
  readonly onSecure: (socket: tls.TLSSocket) => void;
  readonly onError: (error: TlsError) => void;
}

interface Guard {
  /** TCP sockets still in their handshake, by remote address. */
  readonly handshaking: Map<string, net.Socket>;
  stopped: boolean;
}

const guards = new WeakMap<net.Server, Guard>();

const peerKey = (socket: net.Socket): string => `${socket.remoteAddress}|${socket.remotePort}`;

/** Wires `server`'s TLS events. */
export function guardHandshakes(server: tls.Server, options: HandshakeGuardOptions): void {
  const guard: Guard = { handshaking: new Map(), stopped: false };
  guards.set(server, guard);

  // Node's handshake timer cannot hold a time-out past its range: such a one is timed here.
  const longTimers = options.handshakeTimeoutMs > MAX_TIMER_MS ? new Map<string, TimerHandle>() : undefined;
  const stopLongTimer = (key: string): void => {
    const timer = longTimers?.get(key);
    if (timer === undefined) return;
    realClock.clearTimer(timer);
    longTimers!.delete(key);
  };

  server.on("connection", (raw: net.Socket) => {
    // The address tells the TCP socket apart from the others in their handshake
    // (one remote address and port per connection to this port).
    if (raw.remoteAddress === undefined) return; // already gone
    const key = peerKey(raw);
    guard.handshaking.set(key, raw);
    raw.once("close", () => {
      if (guard.handshaking.get(key) === raw) guard.handshaking.delete(key);
      stopLongTimer(key);
    });
    if (longTimers !== undefined) {
      const timedOut = (): void => {
        longTimers.delete(key);
        raw.destroy();
        if (!guard.stopped) options.onError(new TlsError(`${HANDSHAKE_FAILED}: timed out after ${options.handshakeTimeoutMs / 1000}s`));
      };
      const timer = realClock.setTimer(options.handshakeTimeoutMs, timedOut, undefined);
      timer.unref();
      longTimers.set(key, timer);
    }
  });

  server.on("secureConnection", (socket: tls.TLSSocket) => {
    guard.handshaking.delete(peerKey(socket));
    stopLongTimer(peerKey(socket));
    if (options.refuseUntrustedClients && !socket.authorized && socket.getPeerX509Certificate() !== undefined) {
      socket.destroy();
      if (!guard.stopped) options.onError(clientRefused(socket.authorizationError));
      return;
    }
    const outside = outsidePinnedCiphers(socket, options.allowedCiphers);
    if (outside !== undefined) {
      socket.destroy();
      if (!guard.stopped) options.onError(outside);
      return;
    }
    socket.allowHalfOpen = true; // as plain connections: a last reply still goes out after the peer's FIN
    options.onSecure(socket);
  });

  server.on("tlsClientError", (error: Error & { code?: string }, socket: tls.TLSSocket) => {
    // Node's handshake timer only reports; closing is ours.
    socket.destroy();
    if (guard.stopped) return;
    // Deno reports Node's message without Node's code.
    if (error.code === "ERR_TLS_HANDSHAKE_TIMEOUT" || error.message === "TLS handshake timeout") {
      const seconds = options.handshakeTimeoutMs / 1000;
      options.onError(new TlsError(`${HANDSHAKE_FAILED}: timed out after ${seconds}s`, { cause: error }));
    } else if (socket.authorizationError) {
      // A client certificate that did not verify: Node closes without an error of its own.
      options.onError(clientRefused(socket.authorizationError, error));
    } else {
      options.onError(handshakeFailed(error));
    }
  });
}

function clientRefused(reason: unknown, cause?: Error): TlsError {
  return new TlsError(`${HANDSHAKE_FAILED}: client certificate refused: ${String(reason)}`, cause === undefined ? {} : { cause });
}

/** Drops the handshakes in flight (the listener is stopping); their failures are not reported. */
export function abortHandshakes(server: net.Server): void {
  const guard = guards.get(server);
  if (guard === undefined) return;
  guard.stopped = true;
  for (const raw of guard.handshaking.values()) raw.destroy();
  guard.handshaking.clear();
}
