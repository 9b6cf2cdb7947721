/**
 * The errors tcpkit gives to callers and handlers. Every one is a {@link TcpError}
 * with a stable `code`; the messages are the Ballerina module's own wording.
 *
 * @module
 */

import type { TcpErrorCode } from "./error-codes.js";

export type { TcpErrorCode } from "./error-codes.js";

/** Options of the {@link TcpError} constructor. */
export interface TcpErrorOptions {
  /** The underlying error, kept for diagnosis. */
  cause?: unknown;
  /** The stable code; each subclass has its own default. */
  code?: TcpErrorCode;
}

/** Options of a subclass whose code is fixed. */
export type SubclassOptions = Omit<TcpErrorOptions, "code">;

/** Options of a subclass that may also report a bad argument (`ERR_INVALID_ARGUMENT`). */
export interface ArgumentCheckingOptions extends SubclassOptions {
  code?: "ERR_INVALID_ARGUMENT";
}

/** The messages the Ballerina `tcp` module uses; kept word for word. */
export const Messages = {
  connect: "Unable to connect with remote host",
  readTimeout: "Read timed out",
  writeTimeout: "Write timed out",
  writeFailed: "Failed to write data",
  serverClosed: "Connection closed by the server.",
  alreadyClosed: "Socket connection already closed.",
  notAttached: "service is not attached to the listener",
  listenerInit: "Error initializing the server",
  listenerNotStarted: "Unable to initialize the tcp listener.",
} as const;

/**
 * The base of every error tcpkit produces.
 *
 * @example
 * ```ts
 * try { await client.readBytes(); }
 * catch (e) { if (e instanceof TcpError && e.code === "ERR_READ_TIMEOUT") retry(); }
 * ```
 */
export class TcpError extends Error {
  /** A stable identifier of the kind of failure. */
  readonly code: TcpErrorCode;

  constructor(message: string, options: TcpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? "ERR_TCP";
  }

  /**
   * Returns `error` itself when it is already a `TcpError`, else a `TcpError`
   * with the same message and the original as `cause`.
   */
  static wrap(error: unknown, code: TcpErrorCode = "ERR_HANDLER"): TcpError {
    if (error instanceof TcpError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new TcpError(message, { cause: error, code });
  }
}

/** Joins a Ballerina message and a cause as `message: cause`. */
export function withCause(message: string, cause: unknown): string {
  const detail = cause instanceof Error ? cause.message : cause === undefined ? "" : String(cause);
  return detail ? `${message}: ${detail}` : message;
}

/** The connection (or its local binding) could not be made. */
export class ConnectError extends TcpError {
  /** `ERR_CONNECT`, or `ERR_INVALID_ARGUMENT` for a bad argument or setting. */
  declare readonly code: "ERR_CONNECT" | "ERR_INVALID_ARGUMENT";
  constructor(message: string, options: ArgumentCheckingOptions = {}) {
    super(message, { code: "ERR_CONNECT", ...options });
  }
}

/** No data arrived within the read time-out; the connection stays open. */
export class ReadTimeoutError extends TcpError {
  declare readonly code: "ERR_READ_TIMEOUT";
  constructor(message: string = Messages.readTimeout, options: SubclassOptions = {}) {
    super(message, { code: "ERR_READ_TIMEOUT", ...options });
  }
}

/** A write made no progress within the write time-out; the connection is closed. */
export class WriteTimeoutError extends TcpError {
  declare readonly code: "ERR_WRITE_TIMEOUT";
  constructor(message: string = Messages.writeTimeout, options: SubclassOptions = {}) {
    super(message, { code: "ERR_WRITE_TIMEOUT", ...options });
  }
}

/** The peer or the local side closed the connection. */
export class ConnectionClosedError extends TcpError {
  /** `ERR_CONNECTION_CLOSED` when the peer closed, `ERR_SOCKET_CLOSED` when this side had. */
  declare readonly code: "ERR_CONNECTION_CLOSED" | "ERR_SOCKET_CLOSED";
  constructor(message: string = Messages.serverClosed, options: TcpErrorOptions = {}) {
    super(message, { code: "ERR_CONNECTION_CLOSED", ...options });
  }
}

/** A TLS configuration that cannot be used, or a failed handshake. */
export class TlsError extends TcpError {
  /** `ERR_TLS`, or `ERR_INVALID_ARGUMENT` for a bad argument or setting. */
  declare readonly code: "ERR_TLS" | "ERR_INVALID_ARGUMENT";
  constructor(message: string, options: ArgumentCheckingOptions = {}) {
    super(message, { code: "ERR_TLS", ...options });
  }
}

/** The listener could not start, or was used in the wrong state. */
export class ListenerError extends TcpError {
  /** `ERR_LISTENER`, or `ERR_INVALID_ARGUMENT` for a bad argument or setting. */
  declare readonly code: "ERR_LISTENER" | "ERR_INVALID_ARGUMENT";
  constructor(message: string, options: ArgumentCheckingOptions = {}) {
    super(message, { code: "ERR_LISTENER", ...options });
  }
}

/** The error for any use of a connection after `close()`. */
export function alreadyClosed(): ConnectionClosedError {
  return new ConnectionClosedError(Messages.alreadyClosed, { code: "ERR_SOCKET_CLOSED" });
}

/** The error a read or connect gets when its `AbortSignal` fires. */
export function abortedError(signal: AbortSignal): TcpError {
  return new TcpError("The operation was aborted", { code: "ERR_ABORTED", cause: signal.reason });
}

/** Whether `signal` fired because its time ran out (`AbortSignal.timeout()`: a `TimeoutError`). */
export function timedOut(signal: AbortSignal): boolean {
  const reason: unknown = signal.reason;
  return typeof reason === "object" && reason !== null && (reason as { name?: unknown }).name === "TimeoutError";
}

/**
 * The error a read gets when its `AbortSignal` fires: a `ReadTimeoutError`
 * when the signal timed out (`AbortSignal.timeout()`), `ERR_ABORTED` else.
 */
export function readAbortedError(signal: AbortSignal): TcpError {
  return timedOut(signal) ? new ReadTimeoutError(Messages.readTimeout, { cause: signal.reason }) : abortedError(signal);
}
