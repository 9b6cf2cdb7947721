/**
 * The error of the `udp` module. It is a {@link TcpError} (every error the
 * library gives is one), so `code` works the same way across modules.
 *
 * @module
 */
import { Messages, ReadTimeoutError, TcpError, type TcpErrorCode, type TcpErrorOptions } from "../core/errors.js";

/** Marks every error the udp module makes, so `instanceof UdpError` holds for its time-outs too. */
const FROM_UDP = Symbol("tcpkit.udp");

function markFromUdp(error: TcpError): void {
  Object.defineProperty(error, FROM_UDP, { value: true });
}

/** The messages of the Ballerina `udp` module, word for word, and ours beside them. */
export const UdpMessages = {
  clientInit: "Error initializing UDP Client",
  listenerInit: "Unable to initialize UDP Listener",
  listenerNotStarted: "Unable to initialize the udp listener.",
  remoteAddressPair: "Required both remoteHost and remotePort to connect to remote address.",
  notAttached: Messages.notAttached,
  readTimeout: Messages.readTimeout,
  sendFailed: "Failed to send data",
  receiveFailed: "Failed to receive data",
  alreadyClosed: "Socket already closed.",
} as const;

/**
 * Any failure of a UDP client, listener or caller. Match on `code`:
 * `ERR_READ_TIMEOUT` (`Read timed out`), `ERR_BIND` (the local address
 * cannot be used), `ERR_MESSAGE_SIZE` (payload over the UDP maximum),
 * `ERR_SOCKET_CLOSED`, `ERR_WRITE`, `ERR_SOCKET`, `ERR_INVALID_ARGUMENT`,
 * `ERR_LISTENER`, `ERR_HANDLER`. A read time-out is also a
 * {@link ReadTimeoutError} (the same class as TCP's), and still
 * `instanceof UdpError`: every error the udp module makes is.
 *
 * @example
 * ```ts
 * try { await client.receiveDatagram(); }
 * catch (e) { if (e instanceof UdpError && e.code === "ERR_READ_TIMEOUT") retry(); }
 * ```
 */
export class UdpError extends TcpError {
  constructor(message: string, options: TcpErrorOptions = {}) {
    super(message, { code: "ERR_SOCKET", ...options });
    markFromUdp(this);
  }

  /** True for every error the udp module makes, whatever its class. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof TcpError && (value as { [FROM_UDP]?: boolean })[FROM_UDP] === true;
  }

  /** `error` itself when it is a `UdpError`, else one with its message and `cause`. */
  static override wrap(error: unknown, code: TcpErrorCode = "ERR_HANDLER"): UdpError {
    if (error instanceof UdpError) return error;
    if (error instanceof TcpError) return new UdpError(error.message, { code: error.code, cause: error });
    const message = error instanceof Error ? error.message : String(error);
    return new UdpError(message, { cause: error, code });
  }
}

/** A UDP read that gave up: a {@link ReadTimeoutError}, and a {@link UdpError} too. */
export class UdpReadTimeoutError extends ReadTimeoutError {
  constructor(cause?: unknown) {
    super(UdpMessages.readTimeout, cause === undefined ? {} : { cause });
    markFromUdp(this);
  }
}

/** The error every read that gave up gets: `Read timed out`. */
export function udpReadTimeout(cause?: unknown): UdpReadTimeoutError {
  return new UdpReadTimeoutError(cause);
}

/** The error for any use of a UDP socket after `close()`. */
export function udpAlreadyClosed(): UdpError {
  return new UdpError(UdpMessages.alreadyClosed, { code: "ERR_SOCKET_CLOSED" });
}
