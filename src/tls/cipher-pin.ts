/**
 * Holding a handshake to the configured cipher suites. Node's OpenSSL only
 * negotiates a listed suite; Bun's BoringSSL cannot restrict TLS 1.3 suites,
 * and Deno's rustls takes no cipher list at all. So after every handshake
 * with `ciphers` set, the negotiated suite is checked, and a suite outside
 * the list fails the handshake as OpenSSL would have ("no shared cipher"),
 * rather than being used silently.
 *
 * @module
 */
import type { TLSSocket } from "node:tls";
import { TlsError } from "../core/errors.js";
import { HANDSHAKE_FAILED } from "./tls-errors.js";

/**
 * `undefined` when `socket` negotiated one of `allowed` (IANA names; no list:
 * anything goes), else the `TlsError` that fails its handshake.
 *
 * @example
 * ```ts
 * const refused = outsidePinnedCiphers(socket, new Set(["TLS_AES_256_GCM_SHA384"]));
 * if (refused !== undefined) socket.destroy();
 * ```
 */
export function outsidePinnedCiphers(socket: TLSSocket, allowed: ReadonlySet<string> | undefined, prefix = ""): TlsError | undefined {
  if (allowed === undefined) return undefined;
  const cipher = socket.getCipher();
  const name = cipher.standardName ?? cipher.name;
  if (allowed.has(name)) return undefined;
  return new TlsError(`${prefix}${HANDSHAKE_FAILED}: no shared cipher (${name} was negotiated; it is not among the configured ciphers)`);
}
