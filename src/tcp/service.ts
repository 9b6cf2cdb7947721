/**
 * The shapes a user implements to serve connections on a {@link Listener}.
 *
 * @module
 */
import type { Caller } from "./caller.js";
import type { TcpError } from "../core/errors.js";
import type { Codec } from "../framing/codec.js";

/** What `onBytes` may return: bytes to write back, an error for `onError`, or nothing. */
export type OnBytesResult = Uint8Array | string | TcpError | Error | void | undefined | null;

/**
 * What `onFrame` may return: a frame to encode with the connection's codec
 * and write back, an error for `onError`, or nothing.
 */
export type OnFrameResult<F> = F | TcpError | Error | void | undefined | null;

/**
 * Serves one connection; `onConnect` returns a fresh one per connection.
 * Every method is optional.
 *
 * A service reads either bytes (`onBytes`) or frames (`framing` and
 * `onFrame`): with `onFrame`, the bytes are cut into frames by the codec and
 * `onBytes` must be absent.
 *
 * @typeParam F - the frame type of `framing`; `Uint8Array` for the built-in codecs.
 *
 * @example A line service: one reply line per request line.
 * ```ts
 * listener.attach({
 *   onConnect: () => ({
 *     framing: lines({ maxLength: 1000 }),
 *     onFrame: (line: Uint8Array) => Buffer.from(`you said: ${Buffer.from(line).toString()}`),
 *   }),
 * });
 * ```
 */
export interface ConnectionService<F = any> {
  /**
   * One chunk of bytes from the peer. Runs in order and one at a time per
   * connection: while a returned promise is pending, no more bytes are read.
   * Returned bytes are written back before the next chunk is handled.
   */
  onBytes?(data: Uint8Array, caller: Caller): OnBytesResult | Promise<OnBytesResult>;
  /**
   * The codec of this connection: `onFrame` gets its frames, what `onFrame`
   * returns and `caller.writeFrame` are encoded with it. Its bytes wait in a
   * queue bounded by the codec's `maxLength` (plus 64 KiB of headers).
   */
  framing?: Codec<F>;
  /**
   * One whole frame from the peer (needs `framing`; replaces `onBytes`).
   * Frames are handled in order and one at a time per connection: while a
   * returned promise is pending, no other frame is handled and no byte is
   * read. A returned frame is encoded and written back before the next frame
   * is handled; a returned `TcpError` or a thrown error goes to `onError`.
   * Bytes that cannot make a frame (`ERR_FRAME_TOO_LONG` over the codec's
   * `maxLength`, or what the decoder throws) go to `onError` and the
   * connection is closed: the stream cannot be resynchronised. A peer that
   * closes in the middle of a frame: `onError` with a `ConnectionClosedError`.
   */
  onFrame?(frame: F, caller: Caller): OnFrameResult<F> | Promise<OnFrameResult<F>>;
  /**
   * The peer finished sending (half-close), after the last `onBytes` (or
   * `onFrame`). Runs like `onBytes` (returned bytes are written back as they
   * are, not encoded; a promise is awaited); then the connection closes.
   * Without it the connection closes at once.
   */
  onEnd?(caller: Caller): OnBytesResult | Promise<OnBytesResult>;
  /** A socket error, a failed write-back, or an error returned or thrown by `onBytes` or `onEnd`. */
  onError?(error: TcpError, caller: Caller): void | Promise<void>;
  /** Runs exactly once per connection, after its last `onBytes`. */
  onClose?(caller: Caller): void | Promise<void>;
}

/** What `onConnect` may return. */
export type OnConnectResult = ConnectionService<any> | TcpError | Error | void | undefined | null;

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
