/**
 * One open UDP socket as the clients and the listener use it: promise sends
 * of exactly one datagram each (too large is a clear error, never a split),
 * received datagrams as {@link Datagram}s with the sender's address, socket
 * errors as {@link UdpError}s, and an idempotent close.
 *
 * @module
 */
import type { RemoteInfo } from "node:dgram";
import { withCause } from "../core/errors.js";
import { toBuffer, type ByteData } from "../core/bytes.js";
import { checkHost, checkObject, checkPort } from "../core/arguments.js";
import { invalidArgument, isValidPort } from "../core/units.js";
import type { Datagram, OutgoingDatagram } from "./datagram.js";
import { UdpError, UdpMessages, udpAlreadyClosed } from "./udp-error.js";
import {
  MAX_UDP_PAYLOAD,
  closeQuietly,
  literalDestination,
  normalizeAddress,
  resolveDestination,
  type OpenUdpSocket,
} from "./udp-transport.js";

/** Where the endpoint delivers what the socket reports. */
export interface EndpointEvents {
  /** A datagram arrived. */
  onDatagram(datagram: Datagram): void;
  /** The socket reported an error (an ICMP refusal on a connected socket, say); it stays open. */
  onError(error: UdpError): void;
}

/** A bound UDP socket with promise sends of one datagram each; internal to tcpkit/udp. */
export class UdpEndpoint {
  readonly #opened: OpenUdpSocket;
  readonly #closed: Promise<void>;
  #closing = false;

  constructor(opened: OpenUdpSocket, events: EndpointEvents) {
    this.#opened = opened;
    const socket = opened.socket;
    const peer = opened.remote === undefined ? undefined : { host: normalizeAddress(opened.remote.address), port: opened.remote.port };
    socket.on("message", (data: Buffer, from: RemoteInfo) => {
      const remoteHost = normalizeAddress(from.address);
      // The kernel filters a connected socket's datagrams on Node and Bun; Deno's connect() does not.
      if (peer !== undefined && (remoteHost !== peer.host || from.port !== peer.port)) return;
      events.onDatagram({ remoteHost, remotePort: from.port, data });
    });
    socket.on("error", (error: Error) => {
      // An unconnected socket cannot tell which send an ICMP error answers; Node never reports
      // one there, Bun does. A connected socket's refusal is its peer's, and is reported.
      if (peer === undefined && isIcmpError(error)) return;
      events.onError(new UdpError(withCause(UdpMessages.receiveFailed, error), { code: "ERR_SOCKET", cause: error }));
    });
    this.#closed = new Promise((resolve) => socket.once("close", resolve));
  }

  /** Whether {@link close} was called. */
  get closing(): boolean {
    return this.#closing;
  }

  /** The local IP address the socket is bound to. */
  get localHost(): string {
    return this.#closing ? "" : normalizeAddress(this.#opened.socket.address().address);
  }

  /** The local port the socket is bound to. */
  get localPort(): number {
    return this.#closing ? 0 : this.#opened.socket.address().port;
  }

  /** The connected peer, for a connected socket. */
  get remote(): { readonly address: string; readonly port: number } | undefined {
    const remote = this.#opened.remote;
    return remote === undefined ? undefined : { address: normalizeAddress(remote.address), port: remote.port };
  }

  /**
   * Sends `data` as one datagram to `to`, or to the connected peer when `to`
   * is absent. Resolves when the kernel took it.
   */
  async send(data: Buffer, to?: { readonly host: string; readonly port: number }): Promise<void> {
    if (this.#closing) throw udpAlreadyClosed();
    const opened = this.#opened;
    let address: string | undefined;
    let port: number | undefined;
    let ipv4 = opened.family === 4;
    if (to !== undefined && opened.remote === undefined) {
      if (!isValidPort(to.port, 1)) {
        throw new UdpError(withCause(UdpMessages.sendFailed, `port must be an integer from 1 to 65535, got ${String(to.port)}`), {
          code: "ERR_INVALID_ARGUMENT",
        });
      }
      try {
        const destination = literalDestination(to.host, opened) ?? (await resolveDestination(to.host, opened));
        address = destination.address;
        ipv4 = destination.ipv4;
      } catch (error) {
        throw new UdpError(withCause(UdpMessages.sendFailed, error), { code: "ERR_WRITE", cause: error });
      }
      port = to.port;
    } else if (to !== undefined) {
      await this.#checkConnectedPeer(to);
    }
    const limit = ipv4 ? MAX_UDP_PAYLOAD[4] : MAX_UDP_PAYLOAD[6];
    if (data.length > limit) throw tooLarge(data.length, limit, ipv4);
    if (this.#closing) throw udpAlreadyClosed();
    await new Promise<void>((resolve, reject) => {
      const done = (error: Error | null): void => {
        if (!error) resolve();
        else if ((error as NodeJS.ErrnoException).code === "EMSGSIZE") reject(tooLarge(data.length, limit, ipv4, error));
        else if (this.#closing) reject(udpAlreadyClosed());
        else reject(new UdpError(withCause(UdpMessages.sendFailed, error), { code: "ERR_WRITE", cause: error }));
      };
      try {
        if (address === undefined) opened.socket.send(data, done);
        else opened.socket.send(data, port, address, done);
      } catch (error) {
        done(error as Error);
      }
    });
  }

  /**
   * {@link send} for data from the user: data that is not bytes rejects with
   * code `ERR_INVALID_ARGUMENT` before anything is sent.
   */
  sendData(data: ByteData, to?: { readonly host: string; readonly port: number }): Promise<void> {
    let buffer: Buffer;
    try {
      buffer = toBuffer(data);
    } catch (error) {
      return Promise.reject(UdpError.wrap(error, "ERR_INVALID_ARGUMENT"));
    }
    return this.send(buffer, to);
  }

  /**
   * {@link sendData} for a datagram record from the user: a record, address or
   * data that cannot be one rejects with code `ERR_INVALID_ARGUMENT`.
   */
  sendDatagram(datagram: OutgoingDatagram): Promise<void> {
    let to: { host: string; port: number };
    try {
      const record: Partial<Record<keyof OutgoingDatagram, unknown>> = checkObject(datagram, "datagram");
      if (datagram === undefined) throw invalidArgument("datagram", "an object", datagram);
      to = { host: checkHost(record.remoteHost, "remoteHost"), port: checkPort(record.remotePort, "remotePort", 1) };
    } catch (error) {
      return Promise.reject(new UdpError(withCause(UdpMessages.sendFailed, error), { code: "ERR_INVALID_ARGUMENT", cause: error }));
    }
    return this.sendData(datagram.data, to);
  }

  /** Closes the socket; idempotent; resolves once it is closed. */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      closeQuietly(this.#opened.socket);
    }
    return this.#closed;
  }

  /** A connected socket sends only to its peer: a datagram addressed elsewhere is refused. */
  async #checkConnectedPeer(to: { readonly host: string; readonly port: number }): Promise<void> {
    const remote = this.#opened.remote!;
    let same = to.port === remote.port;
    if (same) {
      try {
        const found = literalDestination(to.host, this.#opened) ?? (await resolveDestination(to.host, this.#opened));
        same = normalizeAddress(found.address) === normalizeAddress(remote.address);
      } catch {
        same = false;
      }
    }
    if (!same) {
      throw new UdpError(
        withCause(UdpMessages.sendFailed, `this socket is connected to ${remote.address}:${remote.port} and sends only there`),
        { code: "ERR_INVALID_ARGUMENT" },
      );
    }
  }
}

function tooLarge(length: number, limit: number, ipv4: boolean, cause?: Error): UdpError {
  return new UdpError(
    `Datagram too large: ${length} bytes; the UDP maximum over IPv${ipv4 ? 4 : 6} is ${limit} bytes (EMSGSIZE)`,
    cause === undefined ? { code: "ERR_MESSAGE_SIZE" } : { code: "ERR_MESSAGE_SIZE", cause },
  );
}

/** Errors a socket reports for an ICMP message (port or host unreachable) about an earlier send. */
function isIcmpError(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENETUNREACH";
}
