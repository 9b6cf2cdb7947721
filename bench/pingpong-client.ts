/**
 * The client under test, run as its own process against a raw echo server:
 * `node pingpong-client.js tcpkit|raw|promise PORT CONNS SIZE DURATION_MS WARMUP_MS`.
 * Every kind runs the ping-pong of `tcpkit bench` (`src/cli/ping-pong.ts`):
 * tcpkit with its `Client`, raw with the hand-written callback loop over a
 * `net.Socket`, promise with a hand-written promise per read.
 * Prints one JSON line with the figures and its own CPU and RSS.
 */
import net from "node:net";
import { Client } from "../src/index.js";
import { clientConnection, pingPong, type PingPongConnection } from "../src/cli/ping-pong.js";
import { reply } from "./proc.js";
import { socketConnection } from "./raw-ping-pong.js";
import { promiseSocketConnection } from "./promise-ping-pong.js";

const [kind, portText, connsText, sizeText, durationText, warmupText] = process.argv.slice(2);
const port = Number(portText);
const conns = Number(connsText);
const size = Number(sizeText);

function rawConnect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

let connections: PingPongConnection[];
if (kind === "tcpkit") {
  const clients = await Promise.all(Array.from({ length: conns }, () => Client.connect("127.0.0.1", port)));
  connections = clients.map(clientConnection);
} else if (kind === "raw") {
  connections = (await Promise.all(Array.from({ length: conns }, rawConnect))).map(socketConnection);
} else if (kind === "promise") {
  connections = (await Promise.all(Array.from({ length: conns }, rawConnect))).map(promiseSocketConnection);
} else {
  throw new Error(`unknown client kind ${String(kind)}`);
}

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
const result = await pingPong(connections, { size, durationMs: Number(durationText), warmupMs: Number(warmupText) });
const wallMs = performance.now() - startedAt;
const cpu = process.cpuUsage(cpuBefore);
const cpuUs = cpu.user + cpu.system;
if (result.failedConnections > 0) throw result.firstError;
const rate = result.messages / result.seconds;
reply({
  msgs_per_s: rate,
  p50_us: result.latency.quantile(0.5),
  p99_us: result.latency.quantile(0.99),
  msgs_all: result.totalMessages,
  cpu_pct: (cpuUs / 1000 / wallMs) * 100,
  cpu_us_per_msg: cpuUs / Math.max(1, result.totalMessages),
  rss: process.memoryUsage().rss,
});
