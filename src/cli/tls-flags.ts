/**
 * The TLS options of the `tcpkit` commands, turned into the library's
 * `secureSocket` configurations, and the one-line TLS summary they print.
 *
 * @module
 */
import type { ClientSecureSocket, ListenerSecureSocket, TlsInfo } from "../index.js";
import { UsageError, readableFile, type OptionValues } from "./args.js";

/** The client side: `connect` and `bench`. Any of them but `--tls` implies `--tls`, as in ncat. */
export const clientTlsOptions = {
  tls: { type: "boolean", description: "speak TLS (implied by --ca, --cert, --key, --insecure)" },
  ca: { type: "string", value: "FILE", description: "trust the CA certificate(s) in this PEM file (default: the system's CAs)" },
  cert: { type: "string", value: "FILE", description: "client certificate (PEM) for mutual TLS, with --key" },
  key: { type: "string", value: "FILE", description: "private key (PEM) of --cert" },
  insecure: {
    type: "boolean",
    description: "do not check that the certificate names HOST (its chain is still verified)",
  },
} as const;

/** The listener side: `echo`. */
export const listenerTlsOptions = {
  "tls-cert": { type: "string", value: "FILE", description: "serve TLS with this certificate (PEM), with --tls-key" },
  "tls-key": { type: "string", value: "FILE", description: "private key (PEM) of --tls-cert" },
} as const;

/** The client's `secureSocket`, or undefined for plain TCP. Files are checked here, before connecting. */
export function clientSecureSocket(values: OptionValues<typeof clientTlsOptions>): ClientSecureSocket | undefined {
  const { ca, cert, key, insecure } = values;
  if (values.tls !== true && ca === undefined && cert === undefined && key === undefined && insecure !== true) {
    return undefined;
  }
  const secure: ClientSecureSocket = {};
  if (ca !== undefined) secure.cert = readableFile(ca, "--ca");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--cert and --key go together");
  if (cert !== undefined && key !== undefined) {
    secure.key = { certFile: readableFile(cert, "--cert"), keyFile: readableFile(key, "--key") };
  }
  if (insecure === true) secure.verifyHostName = false;
  return secure;
}

/** The listener's `secureSocket`, or undefined for plain TCP. */
export function listenerSecureSocket(values: OptionValues<typeof listenerTlsOptions>): ListenerSecureSocket | undefined {
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError("--tls-cert and --tls-key go together");
  return { key: { certFile: readableFile(certFile, "--tls-cert"), keyFile: readableFile(keyFile, "--tls-key") } };
}

/** `TLSv1.3 TLS_AES_256_GCM_SHA384, certificate CN=localhost (verified)`. */
export function describeTls(tls: TlsInfo): string {
  const peer = tls.peerCertificate;
  const certificate = peer === undefined ? "no certificate" : `certificate ${peer.subject}`;
  return `${tls.protocol} ${tls.cipher}, ${certificate}${peer === undefined ? "" : tls.peerVerified ? " (verified)" : " (not verified)"}`;
}

/** Node's codes for a certificate chain that does not lead to a trusted CA. */
const UNTRUSTED_CHAIN = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_UNTRUSTED",
]);

/**
 * A failed connect, with a word on the option that would help when the
 * server's certificate was not trusted or does not name the host.
 */
export function withTlsHint(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  if (typeof code !== "string") return error;
  if (UNTRUSTED_CHAIN.has(code)) return new Error(`${error.message} (trust its CA with --ca FILE)`, { cause: error });
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    return new Error(`${error.message.trimEnd()} (use a name the certificate holds, or --insecure)`, { cause: error });
  }
  return error;
}
