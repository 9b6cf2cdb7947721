/**
 * The shapes a user implements to serve connections on a {@link Listener}.
 *
 * @module
 */
import type { Caller } from "./caller.js";
import type { TcpError } from "../core/errors.js";

/** What `onBytes` may return: bytes to write back, an error for `onError`, or nothing. */
export type OnBytesResult = Uint8Array | string | TcpError | Error | void | undefined | null;

/**
 * Serves one connection; `onConnect` returns a fresh one per connection.
 * Every method is optional.
 */
export interface ConnectionService {
  /**
   * One chunk of bytes from the peer. Runs in order and one at a time per
   * connection: while a returned promise is pending, no more bytes are read.
   * Returned bytes are written back before the next chunk is handled.
   */
  onBytes?(data: Uint8Array, caller: Caller): OnBytesResult | Promise<OnBytesResult>;
  /**
   * The peer finished sending (half-close), after the last `onBytes`. Runs
   * like `onBytes` (returned bytes are written back, a promise is awaited);
   * then the connection closes. Without it the connection closes at once.
   */
  onEnd?(caller: Caller): OnBytesResult | Promise<OnBytesResult>;
  /** A socket error, a failed write-back, or an error returned or thrown by `onBytes` or `onEnd`. */
  onError?(error: TcpError, caller: Caller): void | Promise<void>;
  /** Runs exactly once per connection, after its last `onBytes`. */
  onClose?(caller: Caller): void | Promise<void>;
}

/** What `onConnect` may return. */
export type OnConnectResult = ConnectionService | TcpError | Error | void | undefined | null;

/** The service attached to a {@link Listener}. */
export interface Service {
  /**
   * A peer connected (after the TLS handshake, when TLS is on). Return the
   * `ConnectionService` for this connection; return nothing to keep it open
   * and discard its bytes; return or throw an error to close it.
   */
  onConnect(caller: Caller): OnConnectResult | Promise<OnConnectResult>;
  /**
   * Listener-level problems that belong to no connection service: an accept
   * error, a failed `onConnect`, a refused connection over `maxConnections`,
   * a failed TLS handshake, a connection refused for its PROXY protocol header
   * (code `ERR_PROXY_PROTOCOL`: bad, late, or from an untrusted peer). A failed handshake (a `TlsError` whose message
   * starts with `TLS handshake failed: `: a refused or missing client
   * certificate, no shared version or cipher, a plain-TCP peer, a time-out)
   * never reaches `onConnect`; without `onError` it goes to the
   * `tcpkit:error` diagnostics channel.
   */
  onError?(error: TcpError): void | Promise<void>;
}
