/**
 * The sender of one datagram, as a UDP listener's handlers see it.
 *
 * @module
 */
import type { ByteData } from "../core/bytes.js";
import type { OutgoingDatagram } from "./datagram.js";
import type { UdpEndpoint } from "./endpoint.js";

/**
 * Replies to whoever sent the datagram being handled.
 *
 * @example
 * ```ts
 * listener.attach({
 *   async onDatagram(datagram, caller) {
 *     await caller.sendBytes(`hello ${caller.remoteHost}:${caller.remotePort}`);
 *   },
 * });
 * ```
 */
export class Caller {
  /** The sender's IP address. */
  readonly remoteHost: string;
  /** The sender's port. */
  readonly remotePort: number;
  readonly #endpoint: UdpEndpoint;

  /** @internal Made by the listener for each datagram. */
  constructor(endpoint: UdpEndpoint, remoteHost: string, remotePort: number) {
    this.#endpoint = endpoint;
    this.remoteHost = remoteHost;
    this.remotePort = remotePort;
  }

  /** Sends `data` to the sender as one datagram. */
  sendBytes(data: ByteData): Promise<void> {
    return this.sendDatagram({ remoteHost: this.remoteHost, remotePort: this.remotePort, data });
  }

  /** Sends a datagram to its own address (a connected listener: only to its peer). */
  sendDatagram(datagram: OutgoingDatagram): Promise<void> {
    return this.#endpoint.sendDatagram(datagram);
  }
}
