/**
 * tcpkit/udp: UDP clients (connectionless and connected) and a listener,
 * after the Ballerina `udp` module. One send is one datagram; receives are
 * whole datagrams; time-outs are in seconds.
 *
 * @module tcpkit/udp
 */
export { Client } from "./client.js";
export type { ClientConfiguration, ReceiveOptions } from "./client.js";
export { ConnectClient } from "./connect-client.js";
export type { ConnectClientConfiguration } from "./connect-client.js";
export { Listener } from "./listener.js";
export type { ListenerConfiguration } from "./listener.js";
export { Caller } from "./caller.js";
export type { BytesService, DatagramService, OnDatagramResult, Service } from "./service.js";
export type { Datagram, OutgoingDatagram } from "./datagram.js";
export { UdpError, UdpMessages } from "./udp-error.js";
export { MAX_UDP_PAYLOAD } from "./udp-transport.js";
export type { ByteData } from "../core/bytes.js";
