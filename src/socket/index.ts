/**
 * tcpkit/socket: the API of the Ballerina 1.2.0 `socket` module (TCP
 * `Client` with callback services, `Listener` with `onConnect` /
 * `onReadReady` / `onError`, `UdpClient`), built on tcpkit's TCP and UDP
 * cores, for callers written against that API.
 *
 * @module tcpkit/socket
 */
export { Client } from "./client.js";
export type { Caller, ClientConfig, SocketService } from "./client.js";
export type { ReadResult } from "./inbox.js";
export { Listener } from "./listener.js";
export type { ListenerConfig } from "./listener.js";
export { UdpClient } from "./udp-client.js";
export type { Address, ReceiveFromResult, UdpClientConfig } from "./udp-client.js";
export { GenericError, ReadTimedOutError, SocketMessages } from "./errors.js";
