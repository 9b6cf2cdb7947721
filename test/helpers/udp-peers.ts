/**
 * Raw `node:dgram` peers for tests: sockets driven by hand, so the library
 * is checked against plain UDP, not against itself.
 */
import dgram from "node:dgram";
import { once } from "node:events";

/** A received datagram as the raw peer saw it. */
export interface RawDatagram {
  data: Buffer;
  address: string;
  port: number;
}

/** A raw UDP socket bound to `host`:0 with a queue of what it received. */
export interface RawUdpPeer {
  readonly socket: dgram.Socket;
  readonly port: number;
  readonly host: string;
  /** The next datagram received (in order; waits if none is queued). */
  next(): Promise<RawDatagram>;
  /** Sends one datagram and waits for the kernel to take it. */
  send(data: Uint8Array | string, port: number, host?: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Binds a raw peer. With `reply`, it answers every datagram with what `reply`
 * returns (nothing for `undefined`) instead of queueing it.
 */
export async function rawUdpPeer(
  host = "127.0.0.1",
  reply?: (data: Buffer, from: RawDatagram) => Uint8Array | string | undefined,
): Promise<RawUdpPeer> {
  const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
  socket.on("error", () => {});
  const queued: RawDatagram[] = [];
  const waiting: ((d: RawDatagram) => void)[] = [];
  socket.on("message", (data, rinfo) => {
    const datagram = { data, address: rinfo.address, port: rinfo.port };
    if (reply !== undefined) {
      const answer = reply(data, datagram);
      if (answer !== undefined) socket.send(answer, rinfo.port, rinfo.address);
      return;
    }
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(datagram);
    else queued.push(datagram);
  });
  socket.bind(0, host);
  await once(socket, "listening");
  const port = socket.address().port;
  return {
    socket,
    port,
    host,
    next() {
      const datagram = queued.shift();
      if (datagram !== undefined) return Promise.resolve(datagram);
      return new Promise((resolve) => waiting.push(resolve));
    },
    send(data, toPort, toHost = host) {
      return new Promise((resolve, reject) => socket.send(data, toPort, toHost, (error) => (error ? reject(error) : resolve())));
    },
    async close() {
      const closed = once(socket, "close");
      socket.close();
      await closed;
    },
  };
}

/** A raw echo peer: every datagram goes back to its sender unchanged. */
export function rawUdpEcho(host = "127.0.0.1"): Promise<RawUdpPeer> {
  return rawUdpPeer(host, (data) => data);
}

/** A free UDP port on `host` (bound, read, released). */
export async function freeUdpPort(host = "127.0.0.1"): Promise<number> {
  const peer = await rawUdpPeer(host);
  const port = peer.port;
  await peer.close();
  return port;
}
