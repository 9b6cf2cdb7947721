/**
 * STARTTLS: upgrading an open plain connection to TLS in place, on the
 * client side (`Client.startTls`) and on a listener's connection
 * (`Caller.startTls`).
 *
 * The bytes the peer sent after its "go ahead" may already have been read:
 * into tcpkit's read buffer, a codec's queue, or the chunk a handler was
 * given. They are put back in front of the socket's own buffer
 * (`socket.unshift`), and Node's `TLSSocket` feeds a wrapped socket's buffer
 * to the TLS engine before anything else it reads: none is lost, none is
 * handed out as plain text (on a client, such bytes are the injection that
 * STARTTLS attacks rely on: here they fail the handshake instead).
 *
 * Both sides hand the TLS socket over synchronously in its `secure` event,
 * so the caller wires its listeners before any decrypted byte can be read.
 *
 * @module
 */
import type net from "node:net";
import tls from "node:tls";
import { realClock, type TimerHandle } from "../core/clock.js";
import { TcpError, TlsError } from "../core/errors.js";
import { guardHandshakes } from "../tls/handshake-guard.js";
import { prepareListenerTls, type ClientTlsSettings, type ListenerTlsSettings } from "../tls/secure-config.js";
import type { ListenerSecureSocket } from "../tls/secure-socket.js";
import { HANDSHAKE_FAILED, handshakeFailed } from "../tls/tls-errors.js";

/** An `ERR_INVALID_STATE` error: a call the connection cannot take now. */
export function invalidState(message: string): TcpError {
  return new TcpError(message, { code: "ERR_INVALID_STATE" });
}

function ignore(): void {}

/**
 * Puts `bytes` (read from `socket` earlier and not consumed) back in front of
 * what the socket has buffered. The socket must be paused with no `data`
 * listener, so nothing reads them before the TLS socket does.
 */
function giveBack(socket: net.Socket, bytes: Buffer): void {
  if (socket.destroyed || socket.readableEnded) throw new TlsError(`${HANDSHAKE_FAILED}: the connection is closed`);
  if (bytes.length > 0) socket.unshift(bytes);
}

/**
 * Starts the client side of TLS on the connected plain socket `raw` (paused,
 * without `data` listeners), first feeding it `buffered`. Resolves after the
 * handshake, once `onSecure` has been given the TLS socket; rejects with a
 * `TlsError` (`TLS handshake failed: <reason>`) and destroys the connection
 * when the handshake fails, is refused (certificate, host name) or times out.
 */
export function upgradeClientSocket(
  raw: net.Socket,
  buffered: Buffer,
  settings: ClientTlsSettings,
  onSecure: (socket: tls.TLSSocket) => void,
): Promise<void> {
  giveBack(raw, buffered);
  const socket = tls.connect({ ...settings.connectOptions, socket: raw });
  settings.attach(socket);
  return new Promise<void>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    const finish = (error: TcpError | undefined): void => {
      if (timer !== undefined) realClock.clearTimer(timer);
      socket.removeListener("secureConnect", onSecureConnect);
      socket.removeListener("error", onError);
      raw.removeListener("close", onClose);
      if (error === undefined) {
        onSecure(socket);
        resolve();
      } else {
        socket.on("error", ignore); // later errors of a socket given up on
        socket.destroy();
        reject(error);
      }
    };
    const onSecureConnect = (): void => finish(undefined);
    const onError = (error: Error): void => finish(handshakeFailed(error));
    const onClose = (): void => finish(new TlsError(`${HANDSHAKE_FAILED}: the connection closed`));
    socket.once("secureConnect", onSecureConnect);
    socket.once("error", onError);
    raw.once("close", onClose);
    if (settings.handshakeTimeoutMs > 0) {
      const timedOut = (): void => finish(new TlsError(`${HANDSHAKE_FAILED}: timed out after ${settings.handshakeTimeoutMs / 1000}s`));
      // Through the clock: a time-out past a Node timer's range must not fire at once.
      timer = realClock.setTimer(settings.handshakeTimeoutMs, timedOut, undefined);
    }
  });
}

/**
 * Loaded listener settings per `ListenerSecureSocket` object: a server that
 * upgrades every connection reads its key files once.
 */
const listenerSettings = new WeakMap<ListenerSecureSocket, Promise<ListenerTlsSettings>>();

/** Checks and loads `secure` (once per object); a `TlsError` when it cannot be used. */
export function listenerTlsFor(secure: ListenerSecureSocket): Promise<ListenerTlsSettings> {
  if (secure === null || typeof secure !== "object") {
    return Promise.reject(new TcpError("startTls needs a ListenerSecureSocket ({ key: ... })", { code: "ERR_INVALID_ARGUMENT" }));
  }
  let settings = listenerSettings.get(secure);
  if (settings === undefined) {
    settings = prepareListenerTls(secure).then((prepared) => {
      if (prepared === undefined) throw new TlsError("startTls needs a ListenerSecureSocket");
      return prepared;
    });
    listenerSettings.set(secure, settings);
    // A setting that failed is not kept: the files may be fixed before the next try.
    settings.catch(() => listenerSettings.delete(secure));
  }
  return settings;
}

/**
 * Starts the server side of TLS on the accepted plain socket `raw` (paused,
 * without `data` listeners), first feeding it `buffered`. A throw-away
 * `tls.Server` (never listening) runs Node's own server-side handshake on it,
 * with the listener's guard: client certificates, `verifyClient: "OPTIONAL"`,
 * the handshake time-out. Resolves after the handshake, once `onSecure` has
 * been given the TLS socket (paused); rejects with a `TlsError` and destroys
 * the connection otherwise.
 */
export function upgradeServerSocket(
  raw: net.Socket,
  buffered: Buffer,
  settings: ListenerTlsSettings,
  onSecure: (socket: tls.TLSSocket) => void,
): Promise<void> {
  giveBack(raw, buffered);
  const server = tls.createServer({ ...settings.serverOptions, pauseOnConnect: true, allowHalfOpen: raw.allowHalfOpen });
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const onClose = (): void => {
      if (settled) return;
      settled = true;
      reject(new TlsError(`${HANDSHAKE_FAILED}: the connection closed`));
    };
    guardHandshakes(server, {
      refuseUntrustedClients: settings.refuseUntrustedClients,
      handshakeTimeoutMs: settings.handshakeTimeoutMs,
      allowedCiphers: settings.allowedCiphers,
      onSecure: (socket) => {
        raw.removeListener("close", onClose);
        if (settled) {
          socket.destroy();
          return;
        }
        settled = true;
        onSecure(socket);
        resolve();
      },
      onError: (error) => {
        // The guard has destroyed the socket.
        raw.removeListener("close", onClose);
        if (settled) return;
        settled = true;
        reject(error);
      },
    });
    raw.once("close", onClose);
    server.emit("connection", raw);
  });
}
