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
  tls: { type: "boolean", description: "speak TLS (implied by every other TLS option)" },
  ca: { type: "string", value: "FILE", description: "trust the CA certificate(s) in this PEM file (default: the system's CAs)" },
  cert: { type: "string", value: "FILE", description: "client certificate (PEM) for mutual TLS, with --key" },
  key: { type: "string", value: "FILE", description: "private key (PEM) of --cert" },
  servername: {
    type: "string",
    value: "NAME",
    description: "send NAME as SNI and check the certificate against it (default: HOST)",
  },
  alpn: { type: "string", value: "LIST", description: "offer these ALPN protocols, comma-separated (h2,http/1.1)" },
  insecure: {
    type: "boolean",
    short: "k",
    description: "do not verify the server's certificate at all, as curl -k (INSECURE: no authentication)",
  },
} as const;

/** The listener side: `echo` and `listen`. */
export const listenerTlsOptions = {
  "tls-cert": { type: "string", value: "FILE", description: "serve TLS with this certificate (PEM), with --tls-key" },
  "tls-key": { type: "string", value: "FILE", description: "private key (PEM) of --tls-cert" },
} as const;

/** The client's `secureSocket`, or undefined for plain TCP. Files are checked here, before connecting. */
export function clientSecureSocket(values: OptionValues<typeof clientTlsOptions>): ClientSecureSocket | undefined {
  const { ca, cert, key, insecure, servername, alpn } = values;
  const implied = [ca, cert, key, servername, alpn].some((value) => value !== undefined) || insecure === true;
  if (values.tls !== true && !implied) return undefined;
  const secure: ClientSecureSocket = {};
  if (servername !== undefined) {
    if (servername === "" || /[\u0000-\u0020\u007f]/.test(servername)) throw new UsageError(`--servername must be a host name, got '${servername}'`);
    secure.serverName = servername;
  }
  if (alpn !== undefined) {
    const protocols = alpn.split(",").map((name) => name.trim());
    if (protocols.some((name) => name === "" || Buffer.byteLength(name) > 255)) {
      throw new UsageError(`--alpn must be a comma-separated list of protocol names, got '${alpn}'`);
    }
    secure.alpnProtocols = protocols;
  }
  if (ca !== undefined) secure.cert = readableFile(ca, "--ca");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--cert and --key go together");
  if (cert !== undefined && key !== undefined) {
    secure.key = { certFile: readableFile(cert, "--cert"), keyFile: readableFile(key, "--key") };
  }
  if (insecure === true) secure.verifyCertificate = false;
  return secure;
}

/** The loud line `--insecure` prints on stderr before connecting. */
export function insecureWarning(command: string): string {
  return (
    `tcpkit ${command}: WARNING: --insecure: the server's certificate is NOT verified; ` +
    "anyone on the network path can read and change this connection\n"
  );
}

/** The listener's `secureSocket`, or undefined for plain TCP. */
export function listenerSecureSocket(values: OptionValues<typeof listenerTlsOptions>): ListenerSecureSocket | undefined {
  const certFile = values["tls-cert"];
  const keyFile = values["tls-key"];
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) throw new UsageError("--tls-cert and --tls-key go together");
  return { key: { certFile: readableFile(certFile, "--tls-cert"), keyFile: readableFile(keyFile, "--tls-key") } };
}

/** `TLSv1.3 TLS_AES_256_GCM_SHA384, ALPN h2, certificate CN=localhost (verified)`. */
export function describeTls(tls: TlsInfo): string {
  const peer = tls.peerCertificate;
  const certificate = peer === undefined ? "no certificate" : `certificate ${peer.subject}`;
  const alpn = tls.alpnProtocol === undefined ? "" : `, ALPN ${tls.alpnProtocol}`;
  return `${tls.protocol} ${tls.cipher}${alpn}, ${certificate}${peer === undefined ? "" : tls.peerVerified ? " (verified)" : " (not verified)"}`;
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
