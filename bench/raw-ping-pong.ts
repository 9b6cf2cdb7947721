/**
 * The hand-written baseline of the ping-pong load: a `net.Socket` (or
 * `tls.TLSSocket`) driven by callbacks, the way one writes it without tcpkit.
 * It plugs into the same run as tcpkit's `Client` (`src/cli/ping-pong.ts`),
 * so both sides share the time window, the counting and the echo check; only
 * the code per round trip differs.
 */
import type net from "node:net";
import type { PingPongConnection } from "../src/cli/ping-pong.js";

/**
 * Write the message, gather `data` events until the echo is whole (one chunk
 * as is, several concatenated), check it, write again.
 */
export function socketConnection(socket: net.Socket): PingPongConnection {
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return {
    roundTrips(run) {
      const { payload } = run;
      const size = payload.length;
      return new Promise((resolve, reject) => {
        let chunks: Buffer[] = [];
        let got = 0;
        let sentAt = 0;
        const send = (): void => {
          if (run.stopping) return resolve();
          sentAt = performance.now();
          socket.write(payload);
        };
        socket.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          got += chunk.length;
          if (got < size) return;
          const echo = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got);
          chunks = [];
          got = 0;
          if (!payload.equals(echo)) return reject(new Error("the echo differs from the message sent"));
          run.record(sentAt, performance.now());
          send();
        });
        socket.once("error", reject);
        // After a resolve this is a no-op; before one, the peer ended the connection.
        socket.once("close", () => reject(new Error("the connection closed during a round trip")));
        send();
      });
    },
    close() {
      socket.destroy();
      return closed;
    },
  };
}
