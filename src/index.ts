/**
 * tcpkit: promise-based TCP and TLS clients and listeners for Node.js, after
 * the Ballerina `tcp` module.
 *
 * @module tcpkit
 */
export { Client } from "./client.js";
export type { ClientConfiguration, ReadBytesOptions, ReadUntilOptions } from "./client.js";
export { Listener } from "./listener.js";
export type { ListenerConfiguration } from "./listener.js";
export { Caller } from "./caller.js";
export type { ConnectionService, OnBytesResult, OnConnectResult, Service } from "./service.js";
export type { ByteData } from "./socket-writer.js";
export {
  ConnectError,
  ConnectionClosedError,
  ListenerError,
  Messages,
  ReadTimeoutError,
  TcpError,
  TlsError,
  WriteTimeoutError,
} from "./errors.js";
export type { TcpErrorCode, TcpErrorOptions } from "./errors.js";
export { channels as diagnosticsChannels } from "./diagnostics.js";
export { TlsMessages } from "./tls/messages.js";
export type {
  CertKey,
  ClientSecureSocket,
  KeyStore,
  ListenerSecureSocket,
  MutualSsl,
  TlsProtocolConfig,
  TlsVersion,
  TrustStore,
} from "./tls/secure-socket.js";
export type { PeerCertificateInfo, TlsInfo } from "./tls/tls-info.js";
