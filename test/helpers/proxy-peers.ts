/**
 * Peers that speak the PROXY protocol to a listener in tests: a raw socket that sends a header
 * (then TLS, if asked), and a one-shot relay that sends the header and the client's first
 * bytes in one write, as a balancer that buffered the ClientHello does.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { rawClient } from "./peers.js";

/** A raw client that has written `bytes` (a header, maybe followed by data). */
export async function clientSending(port: number, bytes: Uint8Array): Promise<net.Socket> {
  const socket = await rawClient(port);
  socket.write(bytes);
  return socket;
}

/** Resolves when the listener has closed `socket` (a FIN or a reset, then the close). */
export async function closedByListener(socket: net.Socket): Promise<void> {
  if (socket.closed) return;
  socket.resume(); // read to the end, or the FIN is never seen
  // Not events.once: a reset ('error') is one of the ways the listener closes.
  await new Promise((resolve) => socket.once("close", resolve));
}

/** A TLS client on a raw socket that first wrote `header`: the TLS handshake follows the header. */
export async function tlsAfterHeader(port: number, header: Uint8Array, caFile: string): Promise<tls.TLSSocket> {
  const raw = await clientSending(port, header);
  const secure = tls.connect({ socket: raw, ca: readFileSync(caFile), servername: "localhost" });
  secure.on("error", () => {});
  await once(secure, "secureConnect");
  return secure;
}

/**
 * A relay on 127.0.0.1:0 for one kind of header: for each client it waits for the client's first
 * bytes, then connects to `targetPort` and writes `header` and those bytes in one write, and
 * then copies both ways.
 */
export async function coalescingRelay(
  targetPort: number,
  header: Uint8Array,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    client.once("data", (first: Buffer) => {
      client.pause();
      const upstream = net.connect({ host: "127.0.0.1", port: targetPort });
      track(upstream);
      upstream.write(Buffer.concat([header, first]));
      client.pipe(upstream);
      upstream.pipe(client);
      client.once("close", () => upstream.destroy());
      upstream.once("close", () => client.destroy());
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
