/**
 * Handshake failures as `TlsError`s with readable messages.
 *
 * @module
 */
import { TlsError } from "../core/errors.js";
import { opensslReason } from "./reason-text.js";

/** The start of every handshake failure message. */
export const HANDSHAKE_FAILED = "TLS handshake failed";

/**
 * OpenSSL's reason for a failure ("unsupported protocol", "no shared cipher"),
 * without the error-queue prefix and source path Node puts around it, in
 * OpenSSL's wording on Bun and Deno too; other errors (certificate checks,
 * resets) by their message.
 */
export function tlsReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { code, reason } = error as { code?: unknown; reason?: unknown };
  const fromOpenSsl = typeof code === "string" && code.startsWith("ERR_SSL_");
  return opensslReason(fromOpenSsl && typeof reason === "string" && reason.length > 0 ? reason : error.message);
}

/** `<prefix>TLS handshake failed: <reason>`, keeping the original error as `cause`. */
export function handshakeFailed(error: unknown, prefix = ""): TlsError {
  return new TlsError(`${prefix}${HANDSHAKE_FAILED}: ${tlsReason(error)}`, error === undefined ? {} : { cause: error });
}
