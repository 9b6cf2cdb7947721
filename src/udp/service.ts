/**
 * The shapes a user implements to serve datagrams on a UDP {@link Listener}.
 *
 * @module
 */
import type { Caller } from "./caller.js";
import type { OutgoingDatagram } from "./datagram.js";
import type { Datagram } from "./datagram.js";
import type { UdpError } from "./udp-error.js";

/**
 * What a handler may return: bytes (sent back to the sender, or to the
 * connected peer), a datagram (sent to its own address), an error (for
 * `onError`), or nothing.
 */
export type OnDatagramResult = Uint8Array | string | OutgoingDatagram | Error | void | undefined | null;

/** A service that takes the payload of each datagram. */
export interface BytesService {
  /** One datagram's payload; handlers run in arrival order, one at a time. */
  onBytes(data: Uint8Array, caller: Caller): OnDatagramResult | Promise<OnDatagramResult>;
  onDatagram?: never;
  /** A handler's error (returned or thrown), a failed reply, or a socket error. */
  onError?(error: UdpError): void | Promise<void>;
}

/** A service that takes each datagram with its sender's address. */
export interface DatagramService {
  /** One datagram; handlers run in arrival order, one at a time. */
  onDatagram(datagram: Datagram, caller: Caller): OnDatagramResult | Promise<OnDatagramResult>;
  onBytes?: never;
  /** A handler's error (returned or thrown), a failed reply, or a socket error. */
  onError?(error: UdpError): void | Promise<void>;
}

/** The service attached to a UDP {@link Listener}: exactly one of `onBytes` / `onDatagram`. */
export type Service = BytesService | DatagramService;
