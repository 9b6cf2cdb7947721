/**
 * One wording for TLS failure reasons on every runtime. Node reports
 * OpenSSL's reason text ("no shared cipher", "tlsv13 alert certificate
 * required"); Bun reports BoringSSL's reason codes (`NO_SHARED_CIPHER`,
 * `error:1000042e:SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION`);
 * Deno reports rustls's ("received fatal alert: CertificateRequired"),
 * sometimes with OpenSSL's words in parentheses. Messages and tests match
 * on OpenSSL's wording, so the others are turned into it.
 *
 * @module
 */

/** Alerts OpenSSL names `sslv3 alert ...` (the SSLv3 ones) and `tlsv13 alert ...`; the rest are `tlsv1 alert ...`. */
const SSLV3_ALERTS = new Set([
  "close notify",
  "unexpected message",
  "bad record mac",
  "decompression failure",
  "handshake failure",
  "no certificate",
  "bad certificate",
  "unsupported certificate",
  "certificate revoked",
  "certificate expired",
  "certificate unknown",
  "illegal parameter",
]);
const TLSV13_ALERTS = new Set(["certificate required", "missing extension"]);

/** rustls's reasons (Deno) that OpenSSL words differently. */
const RUSTLS_REASONS: ReadonlyMap<string, string> = new Map([
  ["peer sent no certificates", "peer did not return a certificate"],
  ["NoCipherSuitesInCommon", "no shared cipher"],
  ["Tls12NotOffered", "unsupported protocol"],
  ["Tls12NotOfferedOrEnabled", "unsupported protocol"],
  ["Tls13RequiredForQuic", "unsupported protocol"],
  ["SupportedVersionsExtensionRequired", "unsupported protocol"],
]);

/** OpenSSL's reason for a received alert described by `words` ("protocol version"). */
function alertReason(words: string): string {
  const family = TLSV13_ALERTS.has(words) ? "tlsv13" : SSLV3_ALERTS.has(words) ? "sslv3" : "tlsv1";
  return `${family} alert ${words}`;
}

/** `ProtocolVersion` → `protocol version`. */
function camelToWords(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
}

/**
 * `reason` in OpenSSL's wording where it is recognisably BoringSSL's or
 * rustls's; anything else unchanged.
 *
 * @example
 * ```ts
 * opensslReason("TLSV1_ALERT_CERTIFICATE_REQUIRED"); // "tlsv13 alert certificate required"
 * opensslReason("received fatal alert: ProtocolVersion"); // "tlsv1 alert protocol version"
 * opensslReason("no shared cipher"); // unchanged
 * ```
 */
export function opensslReason(reason: string): string {
  // BoringSSL's queue entry: error:<hex>:<library>:<function>:<REASON_CODE>
  const entry = /^error:[0-9a-f]+:[^:]*:[^:]*:([A-Z0-9_]+)$/.exec(reason);
  const code = entry?.[1] ?? (/^[A-Z][A-Z0-9_]*_[A-Z0-9_]+$/.test(reason) ? reason : undefined);
  if (code !== undefined) {
    const words = code.toLowerCase().replace(/_/g, " ");
    const alert = /^(?:sslv3|tlsv1|tlsv13) alert (.+)$/.exec(words);
    return alert === null ? words : alertReason(alert[1]!);
  }
  const rustls = RUSTLS_REASONS.get(reason.replace(/^peer is incompatible: /, ""));
  if (rustls !== undefined) return rustls;
  const received = /^received fatal alert: ([A-Za-z]+)$/.exec(reason);
  if (received !== null) return alertReason(camelToWords(received[1]!));
  // Deno: "received corrupt message of type InvalidContentType (SSL routines:ssl3_get_record:wrong version number)"
  const embedded = /\([^():]+:[^():]+:([^():]+)\)$/.exec(reason);
  if (embedded !== null) return embedded[1]!;
  // Deno, when the handshake runs on a socket handed over from a plain server (the PROXY / limits accept path):
  // "TLS accept error: received corrupt message of type InvalidContentType" (a plain-text client).
  if (/received corrupt message of type InvalidContentType$/.test(reason)) return "wrong version number";
  // Bun's wording for a PKCS#12 store whose MAC does not verify (a wrong password).
  if (/^PFX MAC verification failed\b/.test(reason)) return "mac verify failure";
  return reason;
}
