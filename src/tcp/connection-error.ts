/**
 * The one mapping from a socket's error event to a tcpkit error.
 *
 * @module
 */
import { TcpError, TlsError, withCause } from "../core/errors.js";
import { tlsReason } from "../tls/tls-errors.js";

/**
 * The error for a failure on an open connection: a `TlsError` with OpenSSL's
 * reason for a TLS alert or record error (`Connection error: tlsv13 alert
 * certificate required`), else a `TcpError` with code `ERR_SOCKET`.
 */
export function connectionError(error: Error): TcpError {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code.startsWith("ERR_SSL_")) {
    return new TlsError(`Connection error: ${tlsReason(error)}`, { cause: error });
  }
  return new TcpError(withCause("Connection error", error), { code: "ERR_SOCKET", cause: error });
}
