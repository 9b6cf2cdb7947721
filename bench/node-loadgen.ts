/**
 * The fallback load generator (used when gcc or libssl are missing), in raw
 * `node:net` so it is the same for both servers. Same flags and JSON fields
 * as the C tools: `node-loadgen.js pingpong|churn -p PORT -c CONNS -s SIZE
 * -d MS -w MS [-P tcp|tls]`. Node is a slower client than C: at 50 and 500
 * connections it may be the bottleneck, which pulls ratios towards 1.
 */
import net from "node:net";
import tls from "node:tls";
import { performance } from "node:perf_hooks";
import { quantile, reply } from "./proc.js";

const [mode = "pingpong", ...rest] = process.argv.slice(2);
const flags = new Map<string, string>();
for (let i = 0; i + 1 < rest.length; i += 2) flags.set(rest[i]!, rest[i + 1]!);
const port = Number(flags.get("-p"));
const conns = Number(flags.get("-c") ?? 1);
const size = Number(flags.get("-s") ?? 64);
const durationMs = Number(flags.get("-d") ?? 3000);
const warmupMs = Number(flags.get("-w") ?? 1000);
const useTls = flags.get("-P") === "tls";

const message = Buffer.alloc(size, 7);
const start = performance.now();
const measureFrom = start + warmupMs;
const end = measureFrom + durationMs;
const latencies: number[] = [];
let all = 0;
let errors = 0;

function connect(): net.Socket {
  const options = { host: "127.0.0.1", port, noDelay: true };
  return useTls ? tls.connect({ ...options, rejectUnauthorized: false }) : net.connect(options);
}

function record(sentAt: number): void {
  const now = performance.now();
  all++;
  if (sentAt >= measureFrom && now <= end) latencies.push((now - sentAt) * 1000);
}

/** One connection sending a message, waiting for the whole echo, and again. */
function pingPong(): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect();
    let got = 0;
    let sentAt = 0;
    const send = (): void => {
      if (performance.now() >= end) {
        socket.destroy();
        resolve();
        return;
      }
      got = 0;
      sentAt = performance.now();
      socket.write(message);
    };
    socket.once(useTls ? "secureConnect" : "connect", send);
    socket.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (got < size) return;
      record(sentAt);
      send();
    });
    socket.on("error", () => {
      errors++;
      resolve();
    });
  });
}

/** Connect, one round trip, close; again until the time is up. */
async function churn(): Promise<void> {
  while (performance.now() < end) {
    await new Promise<void>((resolve) => {
      const startedAt = performance.now();
      const socket = connect();
      let got = 0;
      socket.once(useTls ? "secureConnect" : "connect", () => socket.write(message));
      socket.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (got < size) return;
        record(startedAt);
        socket.destroy();
        resolve();
      });
      socket.on("error", () => {
        errors++;
        resolve();
      });
    });
  }
}

const loop = mode === "churn" ? churn : pingPong;
await Promise.all(Array.from({ length: conns }, loop));
latencies.sort((a, b) => a - b);
const seconds = durationMs / 1000;
const rate = latencies.length / seconds;
reply({
  conns,
  size,
  seconds,
  msgs: latencies.length,
  msgs_per_s: rate,
  mb_per_s: (rate * size) / 1e6,
  p50_us: quantile(latencies, 0.5),
  p99_us: quantile(latencies, 0.99),
  errors,
  msgs_all: all,
  client: `node-${mode}`,
});
