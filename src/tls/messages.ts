/**
 * The Ballerina `tcp` module's TLS messages, word for word.
 *
 * @module
 */

/** TLS configuration messages; each comes as a `TlsError`. */
export const TlsMessages = {
  certFile: "Certificate file location must be provided for secure connection",
  keyFile: "Private key file location must be provided for secure connection",
  keyStorePath: "KeyStore file location must be provided for secure connection",
  keyStorePassword: "KeyStore password must be provided for secure connection",
  trustStorePath: "TrustStore file location must be provided for secure connection",
  trustStorePassword: "TrustStore password must be provided for secure connection",
  /** Followed by `: <cause>`: material that does not load, or a setting OpenSSL refuses. */
  sslContext: "Failed to initialize the SSL context",
} as const;
