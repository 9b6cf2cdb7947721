/**
 * Handshake failures as `TlsError`s with readable messages.
 *
 * @module
 */
import { TcpError, TlsError, withCause } from "../errors.js";

/** The start of every handshake failure message. */
export const HANDSHAKE_FAILED = "TLS handshake failed";

/**
 * OpenSSL's reason for a failure ("unsupported protocol", "no shared cipher"),
 * without the error-queue prefix and source path Node puts around it; other
 * errors (certificate checks, resets) by their message.
 */
export function tlsReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  const fromOpenSsl = typeof code === "string" && code.startsWith("ERR_SSL_");
  return fromOpenSsl && typeof reason === "string" && reason.length > 0 ? reason : error.message;
}

/** `<prefix>TLS handshake failed: <reason>`, keeping the original error as `cause`. */
export function handshakeFailed(error: unknown, prefix = ""): TlsError {
  return new TlsError(`${prefix}${HANDSHAKE_FAILED}: ${tlsReason(error)}`, error === undefined ? {} : { cause: error });
}

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
