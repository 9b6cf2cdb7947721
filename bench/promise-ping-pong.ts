/**
 * A second hand-written baseline of the ping-pong load: a `net.Socket` with
 * one promise per read, resolved by the `data` handler once the echo is whole,
 * and awaited by an async loop, as one writes a promise API by hand. What it
 * costs over the callback loop (`raw-ping-pong.ts`) is what a promise per
 * message costs by itself; what tcpkit's `Client` costs over it is tcpkit's own.
 */
import type net from "node:net";
import type { PingPongConnection } from "../src/cli/ping-pong.js";

export function promiseSocketConnection(socket: net.Socket): PingPongConnection {
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  let chunks: Buffer[] = [];
  let got = 0;
  let want = 0;
  let waiting: { resolve: (echo: Buffer) => void; reject: (error: Error) => void } | undefined;
  const fail = (error: Error): void => {
    const read = waiting;
    waiting = undefined;
    read?.reject(error);
  };
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    got += chunk.length;
    if (waiting === undefined || got < want) return;
    const echo = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got);
    chunks = [];
    got = 0;
    const read = waiting;
    waiting = undefined;
    read.resolve(echo);
  });
  socket.on("error", fail);
  socket.on("close", () => fail(new Error("the connection closed during a round trip")));
  const read = (length: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      want = length;
      waiting = { resolve, reject };
    });
  return {
    async roundTrips(run) {
      const { payload } = run;
      while (!run.stopping) {
        const sentAt = performance.now();
        socket.write(payload);
        const echo = await read(payload.length);
        const receivedAt = performance.now();
        if (!payload.equals(echo)) throw new Error("the echo differs from the message sent");
        run.record(sentAt, receivedAt);
      }
    },
    close() {
      socket.destroy();
      return closed;
    },
  };
}
