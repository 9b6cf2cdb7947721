/**
 * The facts of an established TLS connection, as `Client.tls` and
 * `Caller.tls` show them. Taken once when the handshake completes, so they
 * stay readable after the connection closes.
 *
 * @module
 */
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";

/** The peer's certificate, as far as most programs need it. */
export interface PeerCertificateInfo {
  /** The subject distinguished name, one line: `CN=localhost, O=Example`. */
  readonly subject: string;
  /** The issuer distinguished name, one line. */
  readonly issuer: string;
  /** The subject alternative names as OpenSSL prints them (`DNS:localhost, IP Address:127.0.0.1`), if any. */
  readonly subjectAltName: string | undefined;
  /** The serial number in hex. */
  readonly serialNumber: string;
  /** Start of validity, as OpenSSL prints it (`Nov 23 02:46:16 2026 GMT`). */
  readonly validFrom: string;
  /** End of validity, as OpenSSL prints it. */
  readonly validTo: string;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint256: string;
}

/** What the handshake settled. */
export interface TlsInfo {
  /** Negotiated version, e.g. `"TLSv1.3"`. */
  readonly protocol: string;
  /** Negotiated cipher suite by IANA name, e.g. `"TLS_AES_256_GCM_SHA384"`. */
  readonly cipher: string;
  /** The ALPN protocol both sides chose, if any. */
  readonly alpnProtocol: string | undefined;
  /** Whether the peer's certificate chain was verified against the trusted CAs. */
  readonly peerVerified: boolean;
  /** The peer's certificate; on a listener, absent when the client sent none. */
  readonly peerCertificate: PeerCertificateInfo | undefined;
  /** Whether an earlier session was resumed (an abbreviated handshake). */
  readonly sessionReused: boolean;
  /** The SNI name: the one the client sent (on a listener) or asked for (on a client); none for an IP address. */
  readonly serverName: string | undefined;
}

const oneLine = (name: string): string => name.split("\n").filter(Boolean).join(", ");

/** Facts taken when the handshake completed, while Node can still show them all. */
const snapshots = new WeakMap<TLSSocket, TlsInfo>();

/**
 * Takes the facts of a client socket at `secureConnect`: once the session
 * tickets arrive, and on a resumed session, Node no longer shows the server
 * certificate, so a resumed session passes the one it was made with.
 */
export function captureTlsInfo(socket: TLSSocket, resumedPeer?: PeerCertificateInfo): TlsInfo {
  const info = describe(socket, resumedPeer);
  snapshots.set(socket, info);
  return info;
}

/** The peer certificate `socket` shows now, if any. */
export function peerCertificateOf(socket: TLSSocket): PeerCertificateInfo | undefined {
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return undefined;
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    subjectAltName: cert.subjectAltName,
    serialNumber: cert.serialNumber,
    validFrom: cert.validFrom,
    validTo: cert.validTo,
    fingerprint256: cert.fingerprint256,
  };
}

/** The TLS facts of `socket`, or `undefined` for a plain TCP socket. */
export function tlsInfoOf(socket: Socket): TlsInfo | undefined {
  // `encrypted` first: an instanceof walk per plain connection showed in churn profiles.
  if ((socket as { encrypted?: unknown }).encrypted !== true || !(socket instanceof TLSSocket)) return undefined;
  return snapshots.get(socket) ?? describe(socket);
}

function describe(socket: TLSSocket, resumedPeer?: PeerCertificateInfo): TlsInfo {
  const cipher = socket.getCipher();
  const peerCertificate = peerCertificateOf(socket) ?? resumedPeer;
  return {
    protocol: socket.getProtocol() ?? "unknown",
    cipher: cipher.standardName ?? cipher.name,
    alpnProtocol: typeof socket.alpnProtocol === "string" ? socket.alpnProtocol : undefined,
    // No certificate, nothing verified (Deno's listener says `authorized` without one).
    peerVerified: socket.authorized && peerCertificate !== undefined,
    peerCertificate,
    sessionReused: socket.isSessionReused(),
    serverName: typeof socket.servername === "string" && socket.servername.length > 0 ? socket.servername : undefined,
  };
}
