/**
 * An echo server for the runtime comparison, run by `bench/runtime-echo.ts`
 * on Bun (or Node, Deno): `bun dist/bench/runtime-echo-server.js tcpkit|net|bun-raw`.
 * Prints `{"port"}`, answers `stats` on stdin with its CPU time, and exits
 * when stdin closes.
 */
import net from "node:net";
import { Listener } from "../src/index.js";
import { exitWhenStdinCloses, reply } from "./proc.js";
import { createInterface } from "node:readline";

/** The part of Bun's own socket API used here (the global `Bun` exists only on Bun). */
interface BunSocket {
  write(data: Uint8Array): number;
}
interface BunGlobal {
  listen(options: {
    hostname: string;
    port: number;
    socket: { data(socket: BunSocket, data: Uint8Array): void; drain?(socket: BunSocket): void };
  }): { port: number; stop(closeActive?: boolean): void };
}

async function tcpkit(): Promise<number> {
  const listener = new Listener(0, { localHost: "127.0.0.1" });
  const echo = { onBytes: (data: Uint8Array) => data };
  listener.attach({ onConnect: () => echo });
  await listener.start();
  return listener.localPort;
}

/** The idiomatic node:net echo: write back each chunk, honouring back-pressure. */
async function nodeNet(): Promise<number> {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      if (!socket.write(chunk)) {
        socket.pause();
        socket.once("drain", () => socket.resume());
      }
    });
  });
  server.listen({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  return (server.address() as net.AddressInfo).port;
}

/** Bun.listen with the echo written back at once (50 × 512 B never fills a socket buffer). */
function bunRaw(): number {
  const bun = (globalThis as { Bun?: BunGlobal }).Bun;
  if (bun === undefined) throw new Error("bun-raw needs Bun");
  const server = bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        socket.write(data);
      },
    },
  });
  return server.port;
}

const kind = process.argv[2];
const port = kind === "tcpkit" ? await tcpkit() : kind === "net" ? await nodeNet() : kind === "bun-raw" ? bunRaw() : undefined;
if (port === undefined) throw new Error(`unknown server kind ${String(kind)}`);
reply({ port });
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line.trim() === "stats") {
    const cpu = process.cpuUsage();
    reply({ cpuUs: cpu.user + cpu.system });
  }
});
exitWhenStdinCloses();
