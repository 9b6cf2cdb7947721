/**
 * A server under test, run as its own process:
 * `node echo-server.js tcpkit|raw [tls certDir]`.
 * It listens on 127.0.0.1:0, prints `{"port"}`, then answers stdin lines:
 * `stats` (CPU time, RSS, heap, open connections) and `gc` (the same after a
 * full collection; needs `--expose-gc`). It exits when stdin closes.
 */
import net from "node:net";
import { Listener } from "../src/index.js";
import { exitWhenStdinCloses, onStdinLines, reply } from "./proc.js";
import { tlsEchoServer } from "./tls-servers.js";

let connections = 0;

/** The raw echo the idiomatic fast way: write back each chunk, honouring back-pressure. */
function rawEchoSocket(socket: net.Socket): void {
  connections++;
  socket.on("error", () => {});
  socket.once("close", () => connections--);
  const resume = (): void => {
    socket.resume();
  };
  socket.on("data", (chunk: Buffer) => {
    if (!socket.write(chunk)) {
      socket.pause();
      socket.once("drain", resume);
    }
  });
}

async function rawTcp(): Promise<number> {
  const server = net.createServer({ noDelay: true }, rawEchoSocket);
  // No backlog option: Node's default (511), what tcpkit's Listener listens with (the cell checks).
  server.listen({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => server.once("listening", resolve));
  return (server.address() as net.AddressInfo).port;
}

let listener: Listener | undefined;

async function tcpkitTcp(): Promise<number> {
  const echo = { onBytes: (data: Uint8Array) => data };
  listener = new Listener(0, { localHost: "127.0.0.1" });
  listener.attach({ onConnect: () => echo });
  await listener.start();
  return listener.localPort;
}

async function main(): Promise<void> {
  const [kind, proto = "tcp", certDir = ""] = process.argv.slice(2);
  if (kind !== "tcpkit" && kind !== "raw") throw new Error(`unknown server kind ${String(kind)}`);
  let port: number;
  let tlsConnections: (() => number) | undefined;
  if (proto === "tls") ({ port, connections: tlsConnections } = await tlsEchoServer(kind, certDir, rawEchoSocket));
  else port = kind === "raw" ? await rawTcp() : await tcpkitTcp();
  const gc = (globalThis as { gc?: () => void }).gc;
  const stats = (): object => {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    return {
      cpuUs: cpu.user + cpu.system,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      external: memory.external,
      connections: tlsConnections?.() ?? listener?.connectionCount ?? connections,
    };
  };
  onStdinLines((command) => {
    if (command === "gc" && gc !== undefined) {
      gc();
      gc();
    }
    reply(stats());
  });
  exitWhenStdinCloses();
  reply({ port });
}

await main();
