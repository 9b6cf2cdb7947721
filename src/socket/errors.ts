/**
 * The two errors of the 1.2.0 `socket` module. Both are {@link TcpError}s
 * (every error tcpkit gives is one), keeping the underlying `code` and
 * `cause`.
 *
 * @module
 */
import { Messages, ReadTimeoutError, TcpError, type SubclassOptions, type TcpErrorOptions } from "../core/errors.js";
import { millisToMs } from "../core/units.js";

/** The messages of the 1.2.0 `socket` module, word for word, and ours beside them. */
export const SocketMessages = {
  readTimedOut: "read timed out",
  startClient: "unable to start the client socket",
  startUdpClient: "unable to start the udp client",
  badLength: "requested byte length need to be 1 or more",
  alreadyClosed: Messages.alreadyClosed,
} as const;

/**
 * Any socket failure other than a read time-out: a refused connection, a
 * write after close, a socket error, a bad argument. `code` tells which.
 *
 * @example
 * ```ts
 * try { await client.write("hello"); }
 * catch (e) { if (e instanceof GenericError && e.code === "ERR_CONNECT") console.error(e.message); }
 * ```
 */
export class GenericError extends TcpError {
  constructor(message: string, options: TcpErrorOptions = {}) {
    super(message, { code: "ERR_SOCKET", ...options });
  }
}

/**
 * A read got nothing within `readTimeoutInMillis`: `read timed out`. The socket stays open.
 * It is a {@link ReadTimeoutError}, as TCP's and UDP's read time-outs are.
 *
 * @example
 * ```ts
 * try { await caller.read(18); }
 * catch (e) { if (e instanceof ReadTimedOutError) await caller.close(); }
 * ```
 */
export class ReadTimedOutError extends ReadTimeoutError {
  constructor(message: string = SocketMessages.readTimedOut, options: SubclassOptions = {}) {
    super(message, options);
  }
}

/** The 1.2.0 error for anything tcpkit's cores report: time-outs stay time-outs. */
export function toSocketError(error: unknown): GenericError | ReadTimedOutError {
  if (error instanceof GenericError || error instanceof ReadTimedOutError) return error;
  if (error instanceof TcpError) {
    if (error.code === "ERR_READ_TIMEOUT") return new ReadTimedOutError(SocketMessages.readTimedOut, { cause: error });
    return new GenericError(error.message, { code: error.code, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new GenericError(message, { code: "ERR_HANDLER", cause: error });
}

/** Milliseconds as the 1.2.0 configs give them (0 and `Infinity` = no limit), checked. */
export function checkMillis(value: unknown, fallback: number, name: string): number {
  try {
    return millisToMs(value, fallback, name);
  } catch (error) {
    throw toSocketError(error);
  }
}
