/**
 * The TLS configuration records, shaped after Ballerina's `tcp:ClientSecureSocket`
 * and `tcp:ListenerSecureSocket`. Times are in seconds (decimals allowed).
 *
 * @module
 */

/** A certificate and its private key as PEM files. */
export interface CertKey {
  /** Path of the PEM certificate (chain) file. */
  certFile: string;
  /** Path of the PEM private key file (PKCS#8, PKCS#1 or SEC1; may be encrypted). */
  keyFile: string;
  /** Password of an encrypted private key. */
  keyPassword?: string;
}

/** A PKCS#12 store holding a private key and its certificate chain (made by `keytool` or `openssl pkcs12`). */
export interface KeyStore {
  /** Path of the PKCS#12 file. */
  path: string;
  /** The store's password. */
  password: string;
}

/** A PKCS#12 store of trusted certificates; one holding certificates only (as `keytool -importcert` makes) is fine. */
export interface TrustStore {
  /** Path of the PKCS#12 file. */
  path: string;
  /** The store's password. */
  password: string;
}

/** The TLS versions OpenSSL offers. `"TLSv1.0"` is taken as `"TLSv1"`. */
export type TlsVersion = "TLSv1" | "TLSv1.0" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";

/** Which protocol versions to allow. */
export interface TlsProtocolConfig {
  /** `"TLS"` or `"SSL"`: accepted as in Ballerina; OpenSSL picks the protocol from `versions`. */
  name: "TLS" | "SSL";
  /**
   * Allowed versions, e.g. `["TLSv1.2", "TLSv1.3"]`. OpenSSL takes a range, so the
   * lowest to the highest listed are allowed. Empty or absent: TLSv1.2 and TLSv1.3.
   */
  versions?: readonly TlsVersion[];
}

/** Client certificate checking on a listener (mutual TLS). */
export interface MutualSsl {
  /** `"REQUIRE"`: a client without a trusted certificate is refused. `"OPTIONAL"`: a client may send none, but one it sends must be trusted. @default "REQUIRE" */
  verifyClient?: "REQUIRE" | "OPTIONAL";
  /** The CAs that client certificates must chain to: a PEM file path or a PKCS#12 store. @default the system's trusted CAs */
  cert?: string | TrustStore;
}

/**
 * TLS settings of a {@link Client}.
 *
 * @example
 * ```ts
 * const client = await Client.connect("localhost", 9002, {
 *   secureSocket: { cert: "ca.crt", protocol: { name: "TLS", versions: ["TLSv1.3"] } },
 * });
 * ```
 */
export interface ClientSecureSocket {
  /** `false`: plain TCP, whatever else is set. @default true */
  enable?: boolean;
  /** The CAs (or self-signed certificate) to trust: a PEM file path or a PKCS#12 store. @default the system's trusted CAs */
  cert?: string | TrustStore;
  /** The client's own certificate and key, for mutual TLS. */
  key?: CertKey | KeyStore;
  /** Allowed protocol versions. */
  protocol?: TlsProtocolConfig;
  /** Cipher suites by IANA name (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); OpenSSL names are accepted too. @default OpenSSL's defaults */
  ciphers?: readonly string[];
  /** Seconds from TCP connect to a completed handshake; 0 = no limit. @default 10 */
  handshakeTimeout?: number;
  /** Seconds a session stays offered for resumption to the same server; 0 = as long as TLS allows (7 days). @default 300 */
  sessionTimeout?: number;
  /** Check that the server certificate names the host (or `serverName`). Ballerina never checks. @default true */
  verifyHostName?: boolean;
  /**
   * `false` accepts any server certificate, trusted or not, for any name (as
   * `curl -k`): the connection is encrypted but the server is not
   * authenticated, so anyone on the path can read and change it. For tests
   * and diagnosis only; `tls.peerVerified` then says whether it would have
   * passed. @default true
   */
  verifyCertificate?: boolean;
  /** The name sent as SNI and checked against the certificate. @default the host, unless it is an IP address */
  serverName?: string;
  /** ALPN protocols to offer, in order of preference. */
  alpnProtocols?: readonly string[];
}

/**
 * TLS settings of a {@link Listener}.
 *
 * @example
 * ```ts
 * const listener = new Listener(9002, {
 *   secureSocket: { key: { certFile: "server.crt", keyFile: "server.key" } },
 * });
 * ```
 */
export interface ListenerSecureSocket {
  /** The server certificate and key: PEM files or a PKCS#12 store; the default when `sni` has no entry for the name asked for. */
  key: CertKey | KeyStore;
  /**
   * Certificates by the server name a client asks for (SNI): exact names
   * (`"api.example.com"`) or one-label wildcards (`"*.example.com"`, which is
   * neither `example.com` nor `a.b.example.com`); case-insensitive. A client
   * asking for no name or another one gets `key`.
   *
   * @example
   * ```ts
   * sni: { "*.example.org": { certFile: "org.crt", keyFile: "org.key" }, "shop.example": { path: "shop.p12", password } }
   * ```
   */
  sni?: Record<string, CertKey | KeyStore>;
  /** Ask clients for a certificate (mutual TLS). */
  mutualSsl?: MutualSsl;
  /** Allowed protocol versions. */
  protocol?: TlsProtocolConfig;
  /** Cipher suites by IANA name; OpenSSL names are accepted too. @default OpenSSL's defaults */
  ciphers?: readonly string[];
  /** Seconds from TCP accept to a completed handshake; a slower or silent peer is dropped. 0 = no limit. @default 10 */
  handshakeTimeout?: number;
  /** Seconds a session stays resumable; 0 = as long as TLS allows (7 days). @default 300 */
  sessionTimeout?: number;
  /** ALPN protocols the listener accepts, in order of preference. */
  alpnProtocols?: readonly string[];
}
