/**
 * The client under test, run as its own process against a raw echo server:
 * `node pingpong-client.js tcpkit|raw PORT CONNS SIZE DURATION_MS WARMUP_MS`.
 * Each connection writes a message, reads exactly as many bytes back, and
 * repeats. Prints one JSON line with the figures and its own CPU and RSS.
 */
import net from "node:net";
import { performance } from "node:perf_hooks";
import { Client } from "../src/index.js";
import { quantile, reply } from "./proc.js";

const [kind, portText, connsText, sizeText, durationText, warmupText] = process.argv.slice(2);
const port = Number(portText);
const conns = Number(connsText);
const size = Number(sizeText);
const durationMs = Number(durationText);
const warmupMs = Number(warmupText);

let measureFrom = 0;
let end = 0;
const latencies: number[] = [];
let all = 0;

function record(sentAt: number, now: number): void {
  all++;
  if (sentAt >= measureFrom && now <= end) latencies.push((now - sentAt) * 1000);
}

/** tcpkit: `writeBytes` then `readExactly`, awaited, in a loop. */
async function tcpkitLoop(client: Client, message: Buffer): Promise<void> {
  for (;;) {
    const sentAt = performance.now();
    if (sentAt >= end) break;
    await client.writeBytes(message);
    const echo = await client.readExactly(size);
    if (echo.length !== size) throw new Error("short echo");
    record(sentAt, performance.now());
  }
  await client.close();
}

/**
 * Raw `net.Socket`, the way one writes it by hand: write, gather the data
 * events until the message is whole (one chunk as is, several concatenated),
 * write again.
 */
function rawLoop(socket: net.Socket, message: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let got = 0;
    let sentAt = 0;
    const send = (): void => {
      sentAt = performance.now();
      if (sentAt >= end) {
        socket.once("close", () => resolve());
        socket.destroy();
        return;
      }
      socket.write(message);
    };
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got < size) return;
      const echo = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, got);
      chunks = [];
      got = 0;
      if (echo.length !== size) reject(new Error("short echo"));
      record(sentAt, performance.now());
      send();
    });
    socket.on("error", reject);
    send();
  });
}

function rawConnect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

const message = Buffer.alloc(size, 7);
let loops: Array<() => Promise<void>>;
if (kind === "tcpkit") {
  const clients = await Promise.all(Array.from({ length: conns }, () => Client.connect("127.0.0.1", port)));
  loops = clients.map((client) => () => tcpkitLoop(client, message));
} else if (kind === "raw") {
  const sockets = await Promise.all(Array.from({ length: conns }, rawConnect));
  loops = sockets.map((socket) => () => rawLoop(socket, message));
} else {
  throw new Error(`unknown client kind ${String(kind)}`);
}

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
measureFrom = startedAt + warmupMs;
end = measureFrom + durationMs;
await Promise.all(loops.map((loop) => loop()));
const wallMs = performance.now() - startedAt;
const cpu = process.cpuUsage(cpuBefore);
const cpuUs = cpu.user + cpu.system;
latencies.sort((a, b) => a - b);
const rate = latencies.length / (durationMs / 1000);
reply({
  msgs_per_s: rate,
  mb_per_s: (rate * size) / 1e6,
  p50_us: quantile(latencies, 0.5),
  p99_us: quantile(latencies, 0.99),
  msgs_all: all,
  cpu_pct: (cpuUs / 1000 / wallMs) * 100,
  cpu_us_per_msg: cpuUs / all,
  /** User time alone: where library overhead shows, without the kernel's share. */
  user_us_per_msg: cpu.user / all,
  rss: process.memoryUsage().rss,
});
