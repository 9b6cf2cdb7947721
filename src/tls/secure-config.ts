/**
 * Turns `ClientSecureSocket` / `ListenerSecureSocket` into Node TLS options:
 * first the checks with Ballerina's exact messages, then loading the files,
 * so that every configuration problem surfaces at `Client.connect` or
 * `Listener.start` as a `TlsError`.
 *
 * @module
 */
import net from "node:net";
import tls from "node:tls";
import { TcpError, TlsError, withCause } from "../core/errors.js";
import { MAX_TIMER_MS } from "../core/clock.js";
import { checkFlag } from "../core/arguments.js";
import { secondsToMs } from "../core/units.js";
import { toOpenSslCipherList } from "./cipher-names.js";
import { isKeyStore, loadIdentity, loadTrust } from "./material.js";
import { TlsMessages } from "./messages.js";
import { opensslReason } from "./reason-text.js";
import type { CertKey, ClientSecureSocket, KeyStore, ListenerSecureSocket, TrustStore } from "./secure-socket.js";
import { clientSessions } from "./session-cache.js";
import { SniTable, isSniName } from "./sni.js";
import { captureTlsInfo, peerCertificateOf, type PeerCertificateInfo } from "./tls-info.js";

/** What the client side of the transport needs; times in ms. */
export interface ClientTlsSettings {
  /** Passed to `tls.connect` besides the address and socket options. */
  readonly connectOptions: tls.ConnectionOptions;
  /** From TCP connect to a completed handshake; 0 = no limit. */
  readonly handshakeTimeoutMs: number;
  /** Follows a socket made with `connectOptions`: keeps the sessions the server sends for the next connect. */
  readonly attach: (socket: tls.TLSSocket) => void;
  /** The configured cipher suites (IANA names), checked after the handshake; undefined = any. */
  readonly allowedCiphers: ReadonlySet<string> | undefined;
}

/** What the listener side of the transport needs. */
export interface ListenerTlsSettings {
  /** Passed to `tls.createServer` besides the socket options. */
  readonly serverOptions: tls.TlsOptions;
  /** `verifyClient: "OPTIONAL"`: a client that sent a certificate that is not trusted is refused. */
  readonly refuseUntrustedClients: boolean;
  /** From accept to a completed handshake; 0 = no limit. */
  readonly handshakeTimeoutMs: number;
  /** The certificates picked by server name (`sni`); empty without it. */
  readonly sni: SniTable;
  /** The configured cipher suites (IANA names), checked after the handshake; undefined = any. */
  readonly allowedCiphers: ReadonlySet<string> | undefined;
}

/** The longest a TLS session may live (RFC 8446 caps ticket lifetimes at 7 days). */
const MAX_SESSION_SECONDS = 7 * 24 * 3600;
const DEFAULT_HANDSHAKE_SECONDS = 10;
const DEFAULT_SESSION_SECONDS = 300;

const VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
type NodeTlsVersion = (typeof VERSIONS)[number];

/**
 * Checks and loads a client's TLS settings. `undefined` when TLS is off
 * (no `secureSocket`, or `enable: false`).
 */
export async function prepareClientTls(
  secure: ClientSecureSocket | undefined,
  host: string,
  port: number,
): Promise<ClientTlsSettings | undefined> {
  if (secure === undefined || secure === null || secure.enable === false) return undefined;
  checkTrust(secure.cert);
  if (secure.key !== undefined) checkIdentity(secure.key);
  const common = commonSettings(secure);
  const serverName = secure.serverName;
  if (serverName !== undefined && (typeof serverName !== "string" || serverName.length === 0)) {
    throw contextError("serverName must be a non-empty string");
  }
  checkFlags(secure, ["enable", "verifyHostName", "verifyCertificate"]);
  const verifyCertificate = secure.verifyCertificate !== false;
  const sessionMs = sessionSeconds(secure.sessionTimeout) * 1000;
  const secureContext = await createContext(async () => ({
    ...common.contextOptions,
    ...(secure.cert === undefined ? {} : { ca: await loadTrust(secure.cert) }),
    ...(secure.key === undefined ? {} : await loadIdentity(secure.key)),
  }));

  // The name the certificate must carry; SNI never carries an IP address.
  const identity = serverName ?? host;
  const checkServerIdentity =
    secure.verifyHostName === false || !verifyCertificate
      ? (): undefined => undefined
      : (_host: string, cert: tls.PeerCertificate): Error | undefined => tls.checkServerIdentity(identity, cert);
  const sessionKey = JSON.stringify([
    host, port, identity, secure.verifyHostName !== false, verifyCertificate, trustId(secure.cert), identityId(secure.key),
    common.contextOptions.minVersion, common.contextOptions.maxVersion, common.contextOptions.ciphers, common.alpn,
  ]);
  const cached = clientSessions.get(sessionKey);
  return {
    connectOptions: {
      secureContext,
      rejectUnauthorized: verifyCertificate,
      checkServerIdentity,
      ...(net.isIP(identity) === 0 ? { servername: identity } : {}),
      ...(common.alpn === undefined ? {} : { ALPNProtocols: common.alpn }),
      ...(cached === undefined ? {} : { session: cached.session }),
    },
    handshakeTimeoutMs: common.handshakeTimeoutMs,
    allowedCiphers: common.allowedCiphers,
    attach(socket) {
      let peer: PeerCertificateInfo | undefined;
      socket.once("secureConnect", () => {
        const resumedPeer = socket.isSessionReused() ? cached?.peerCertificate : undefined;
        peer = captureTlsInfo(socket, resumedPeer).peerCertificate;
      });
      socket.on("session", (session: Buffer) => {
        peer ??= peerCertificateOf(socket); // TLS 1.2 sends its session before secureConnect
        clientSessions.set(sessionKey, { session, peerCertificate: peer }, sessionMs);
      });
    },
  };
}

/** Checks and loads a listener's TLS settings; `undefined` without `secureSocket`. */
export async function prepareListenerTls(secure: ListenerSecureSocket | undefined): Promise<ListenerTlsSettings | undefined> {
  if (secure === undefined || secure === null) return undefined;
  checkIdentity(secure.key);
  const mutual = secure.mutualSsl;
  if (mutual !== undefined) checkTrust(mutual.cert);
  const verifyClient = mutual?.verifyClient ?? "REQUIRE";
  if (verifyClient !== "REQUIRE" && verifyClient !== "OPTIONAL") {
    throw contextError(`mutualSsl.verifyClient must be "REQUIRE" or "OPTIONAL", got ${String(verifyClient)}`);
  }
  const sniEntries = checkSni(secure.sni);
  const common = commonSettings(secure);
  const ca = mutual?.cert === undefined ? undefined : await loadOrFail(() => loadTrust(mutual.cert!));
  const trust = ca === undefined ? {} : { ca };
  const sni = new SniTable();
  for (const [name, key] of sniEntries) {
    // Each name's certificate with the same versions, ciphers and client CAs as the default.
    const context = await createContext(async () => ({ ...common.contextOptions, ...trust, ...(await loadIdentity(key)) }), `sni["${name}"]: `);
    sni.set(name, context);
  }
  const serverOptions: tls.TlsOptions = {
    ...common.contextOptions,
    ...trust,
    ...(await loadOrFail(() => loadIdentity(secure.key))),
    sessionTimeout: sessionSeconds(secure.sessionTimeout),
    // Node's handshake timer runs from accept to the end of the handshake; it only
    // reports, and the transport closes the socket. A negative value turns it off:
    // for no limit, and for a time-out past a Node timer's range (the guard times those).
    handshakeTimeout: common.handshakeTimeoutMs > 0 && common.handshakeTimeoutMs <= MAX_TIMER_MS ? common.handshakeTimeoutMs : -1,
    requestCert: mutual !== undefined,
    rejectUnauthorized: mutual !== undefined && verifyClient === "REQUIRE",
    ...(common.alpn === undefined ? {} : { ALPNProtocols: common.alpn }),
  };
  await createContext(() => Promise.resolve(serverOptions));
  return {
    serverOptions,
    refuseUntrustedClients: mutual !== undefined && verifyClient === "OPTIONAL",
    handshakeTimeoutMs: common.handshakeTimeoutMs,
    sni,
    allowedCiphers: common.allowedCiphers,
  };
}

/** The `sni` entries, checked: valid names, each with a complete `CertKey` or `KeyStore`. */
function checkSni(sni: ListenerSecureSocket["sni"]): [string, CertKey | KeyStore][] {
  if (sni === undefined) return [];
  if (sni === null || typeof sni !== "object" || Array.isArray(sni)) {
    throw contextError("sni must be an object mapping server names to a CertKey or KeyStore");
  }
  const entries = Object.entries(sni);
  for (const [name, key] of entries) {
    if (!isSniName(name)) throw contextError(`sni: ${JSON.stringify(name)} is not a host name or a *.domain wildcard`);
    if (key === null || typeof key !== "object") throw contextError(`sni["${name}"] must be a CertKey or a KeyStore`);
    checkIdentity(key);
  }
  return entries;
}

/** The boolean fields of a secure socket: `true`, `false` or absent. */
function checkFlags<T extends object>(secure: T, fields: ReadonlyArray<keyof T & string>): void {
  for (const field of fields) {
    try {
      checkFlag(secure[field], `secureSocket.${field}`);
    } catch (error) {
      throw contextError(error);
    }
  }
}

/** `Unable to initialize the SSL context: <cause>`; `original` (default: `cause`) is kept as the error's cause. */
function contextError(cause: unknown, original: unknown = cause): TlsError {
  // A bad number keeps its code: callers match ERR_INVALID_ARGUMENT for every bad argument.
  const code = original instanceof TcpError && original.code === "ERR_INVALID_ARGUMENT" ? original.code : undefined;
  const detail = cause instanceof Error ? opensslReason(cause.message) : cause;
  return new TlsError(withCause(TlsMessages.sslContext, detail), {
    ...(original instanceof Error ? { cause: original } : {}),
    ...(code === undefined ? {} : { code }),
  });
}

function isEmpty(value: unknown): boolean {
  return typeof value !== "string" || value.length === 0;
}

/** A trust setting: absent (system CAs), a PEM path, or a `TrustStore`. */
function checkTrust(cert: string | TrustStore | undefined): void {
  if (cert === undefined) return;
  if (typeof cert !== "object" || cert === null) {
    if (isEmpty(cert)) throw new TlsError(TlsMessages.certFile);
    return;
  }
  if (isEmpty(cert.path)) throw new TlsError(TlsMessages.trustStorePath);
  if (isEmpty(cert.password)) throw new TlsError(TlsMessages.trustStorePassword);
}

/** An identity setting: a `KeyStore` or a `CertKey`. */
function checkIdentity(key: CertKey | KeyStore | undefined): void {
  if (key !== undefined && key !== null && isKeyStore(key)) {
    if (isEmpty(key.path)) throw new TlsError(TlsMessages.keyStorePath);
    if (isEmpty(key.password)) throw new TlsError(TlsMessages.keyStorePassword);
    return;
  }
  if (isEmpty(key?.certFile)) throw new TlsError(TlsMessages.certFile);
  if (isEmpty(key?.keyFile)) throw new TlsError(TlsMessages.keyFile);
}

interface CommonSettings {
  readonly contextOptions: { minVersion: NodeTlsVersion; maxVersion: NodeTlsVersion; ciphers?: string };
  readonly alpn: string[] | undefined;
  readonly handshakeTimeoutMs: number;
  readonly allowedCiphers: ReadonlySet<string> | undefined;
}

/** The settings both sides share: versions, ciphers, ALPN, handshake time-out. */
function commonSettings(secure: ClientSecureSocket | ListenerSecureSocket): CommonSettings {
  try {
    let { min, max } = versionRange(secure.protocol);
    let ciphers: string | undefined;
    let allowedCiphers: ReadonlySet<string> | undefined;
    if (secure.ciphers !== undefined && secure.ciphers.length > 0) {
      const list = toOpenSslCipherList(secure.ciphers);
      ciphers = list.ciphers;
      allowedCiphers = list.ianaNames;
      // Node keeps its default TLS 1.3 suites when none is listed: turn the version off instead.
      if (!list.tls13) max = Math.min(max, VERSIONS.indexOf("TLSv1.2"));
      if (!list.tls12) min = Math.max(min, VERSIONS.indexOf("TLSv1.3"));
      if (min > max) throw new Error("none of the ciphers can be used with the allowed protocol versions");
    }
    return {
      contextOptions: { minVersion: VERSIONS[min]!, maxVersion: VERSIONS[max]!, ...(ciphers === undefined ? {} : { ciphers }) },
      alpn: alpnList(secure.alpnProtocols),
      handshakeTimeoutMs: secondsToMs(secure.handshakeTimeout, DEFAULT_HANDSHAKE_SECONDS, "secureSocket.handshakeTimeout"),
      allowedCiphers,
    };
  } catch (error) {
    throw contextError(error);
  }
}

/** OpenSSL takes a version range: from the lowest listed to the highest (indexes into VERSIONS). */
function versionRange(protocol: ClientSecureSocket["protocol"]): { min: number; max: number } {
  const defaults = { min: VERSIONS.indexOf("TLSv1.2"), max: VERSIONS.indexOf("TLSv1.3") };
  if (protocol === undefined) return defaults;
  if (protocol.name !== undefined && protocol.name !== "TLS" && protocol.name !== "SSL") {
    throw new Error(`protocol.name must be "TLS" or "SSL", got ${String(protocol.name)}`);
  }
  const listed = (protocol.versions ?? []).map((version) => {
    const index = VERSIONS.indexOf((version === "TLSv1.0" ? "TLSv1" : version) as NodeTlsVersion);
    if (index < 0) throw new Error(`Unsupported TLS protocol version: ${String(version)}`);
    return index;
  });
  return listed.length === 0 ? defaults : { min: Math.min(...listed), max: Math.max(...listed) };
}

function alpnList(protocols: readonly string[] | undefined): string[] | undefined {
  if (protocols === undefined || protocols.length === 0) return undefined;
  for (const name of protocols) {
    if (isEmpty(name) || Buffer.byteLength(name) > 255) {
      throw new Error(`alpnProtocols must be non-empty names of at most 255 bytes, got ${JSON.stringify(name)}`);
    }
  }
  return [...protocols];
}

/** Session lifetime in whole seconds, as OpenSSL takes it; 0 means the longest TLS allows. */
function sessionSeconds(seconds: number | undefined): number {
  let ms: number;
  try {
    ms = secondsToMs(seconds, DEFAULT_SESSION_SECONDS, "secureSocket.sessionTimeout");
  } catch (error) {
    throw contextError(error);
  }
  return ms === 0 ? MAX_SESSION_SECONDS : Math.min(Math.ceil(ms / 1000), MAX_SESSION_SECONDS);
}

async function loadOrFail<T>(load: () => Promise<T>, prefix = ""): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw contextError(`${prefix}${error instanceof Error ? opensslReason(error.message) : String(error)}`, error);
  }
}

/** Loads the material and builds the context, so OpenSSL's own checks (key matches certificate, ...) run now. */
async function createContext(options: () => Promise<tls.SecureContextOptions>, prefix = ""): Promise<tls.SecureContext> {
  const loaded = await loadOrFail(options, prefix);
  try {
    return tls.createSecureContext(loaded);
  } catch (error) {
    throw contextError(`${prefix}${error instanceof Error ? opensslReason(error.message) : String(error)}`, error);
  }
}

function trustId(cert: string | TrustStore | undefined): string | undefined {
  return typeof cert === "object" && cert !== null ? `p12:${cert.path}` : cert;
}

function identityId(key: CertKey | KeyStore | undefined): string | undefined {
  if (key === undefined) return undefined;
  return isKeyStore(key) ? `p12:${key.path}` : `${key.certFile}\n${key.keyFile}`;
}
