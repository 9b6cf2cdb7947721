/**
 * tcpkit: promise-based TCP and TLS clients and listeners for Node.js, after
 * the Ballerina `tcp` module.
 *
 * @module tcpkit
 */
export { Client } from "./tcp/client.js";
export type { ClientConfiguration, ReadBytesOptions, ReadUntilOptions } from "./tcp/client.js";
export { Listener } from "./tcp/listener.js";
export type { GracefulStopOptions, ListenerConfiguration } from "./tcp/listener.js";
export type { ListenerStats } from "./tcp/listener-stats.js";
export { Caller } from "./tcp/caller.js";
export type { StartTlsOptions } from "./tcp/caller.js";
export type { ConnectionService, OnBytesResult, OnConnectResult, OnFrameResult, Service } from "./tcp/service.js";
export { delimited, fixed, lengthPrefixed, lines } from "./framing/index.js";
export type {
  ByteView,
  Codec,
  DecodedFrame,
  Decoder,
  DelimitedOptions,
  LengthPrefixedOptions,
  LinesOptions,
} from "./framing/index.js";
export type { ByteData } from "./core/bytes.js";
export {
  ConnectError,
  ConnectionClosedError,
  ListenerError,
  Messages,
  ReadTimeoutError,
  TcpError,
  TlsError,
  WriteTimeoutError,
} from "./core/errors.js";
export type { ArgumentCheckingOptions, SubclassOptions, TcpErrorCode, TcpErrorOptions } from "./core/errors.js";
export { ERROR_CODES } from "./core/error-codes.js";
export { channels as diagnosticsChannels } from "./core/diagnostics.js";
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
export { ProxyTlvType, encodeProxyHeader } from "./proxy/index.js";
export type { ProxyAddress, ProxyCommand, ProxyHeader, ProxyHeaderOptions, ProxyInfo, ProxyTlv, ProxyVersion } from "./proxy/index.js";
export type { ProxyListenerOptions } from "./proxy/listener-settings.js";
