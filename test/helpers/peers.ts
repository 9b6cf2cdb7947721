/**
 * Raw `node:net` peers for tests: servers and clients written by hand, so the
 * library is checked against plain sockets, not against itself.
 */
import net from "node:net";
import { once } from "node:events";

/** A raw server on 127.0.0.1:0; `close()` destroys its sockets and closes it. */
export async function rawServer(
  onSocket: (socket: net.Socket) => void,
  options: { allowHalfOpen?: boolean } = {},
): Promise<{
  port: number;
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    onSocket(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A raw server that reads nothing: each accepted socket is paused (until a
 * test resumes it); `accepted` resolves with the first one.
 */
export async function pausedServer(): Promise<Awaited<ReturnType<typeof rawServer>> & { accepted: Promise<net.Socket> }> {
  let onAccepted!: (socket: net.Socket) => void;
  const accepted = new Promise<net.Socket>((resolve) => (onAccepted = resolve));
  const server = await rawServer((socket) => {
    socket.pause();
    onAccepted(socket);
  });
  return { ...server, accepted };
}

/** A free loopback port (asked of the system, then released for a server that cannot be told to pick one). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes `pieces` one by one, each after the previous one is flushed, with a turn of the loop between (so they tend to arrive as separate reads). */
export async function writePieces(socket: net.Socket, pieces: readonly Uint8Array[]): Promise<void> {
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) => socket.write(piece, (error) => (error ? reject(error) : resolve())));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A raw client connected to 127.0.0.1:`port`. */
export async function rawClient(port: number, host = "127.0.0.1"): Promise<net.Socket> {
  const socket = net.connect({ port, host });
  socket.on("error", () => {});
  await once(socket, "connect");
  return socket;
}

/** Reads from `socket` until `length` bytes have arrived (the socket stays open). */
export function readFully(socket: net.Socket, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= length) {
        cleanup();
        resolve(Buffer.concat(chunks));
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`peer closed after ${total} of ${length} bytes`));
    };
    const cleanup = (): void => {
      socket.removeListener("data", onData);
      socket.removeListener("end", onEnd);
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
  });
}

/** Everything `socket` receives until the peer closes (the socket is left open for writing). */
export function readToEnd(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("end", () => resolve(Buffer.concat(chunks)));
    socket.once("error", reject);
  });
}

/** Destroys `socket` and waits for its close. */
export async function destroyed(socket: net.Socket): Promise<void> {
  if (socket.closed) return;
  const closed = once(socket, "close");
  socket.destroy();
  await closed;
}
