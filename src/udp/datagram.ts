/**
 * The datagram record of the `udp` module: the data and the peer's address.
 *
 * @module
 */
import type { ByteData } from "../core/bytes.js";

/**
 * One UDP datagram and the address it came from (received) or goes to (sent).
 *
 * @example
 * ```ts
 * await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: 9000, data: "hello" });
 * const reply: Datagram = await client.receiveDatagram();
 * ```
 */
export interface Datagram {
  /** The peer's IP address (received) or host name / IP (to send to). */
  readonly remoteHost: string;
  /** The peer's port. */
  readonly remotePort: number;
  /** The payload: exactly one datagram's bytes. */
  readonly data: Uint8Array;
}

/** A datagram to send: like {@link Datagram}, and a string payload is sent as UTF-8. */
export interface OutgoingDatagram {
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly data: ByteData;
}

/** Whether `value` has the shape of a datagram to send (a handler's return value). */
export function isDatagram(value: unknown): value is OutgoingDatagram {
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return false;
  const candidate = value as Partial<OutgoingDatagram>;
  return (
    typeof candidate.remoteHost === "string" &&
    typeof candidate.remotePort === "number" &&
    (typeof candidate.data === "string" || candidate.data instanceof Uint8Array)
  );
}
