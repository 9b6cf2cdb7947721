/**
 * The fallback load generator (used when the C tools cannot be built, or
 * with `--node-loadgen`), in raw `node:net` / `node:tls` so it is the same
 * for both servers. Same flags and JSON fields as the C tools:
 * `node-loadgen.js pingpong|churn -p PORT -c CONNS -s SIZE -d MS -w MS [-P tcp|tls]`.
 * The ping-pong is the shared run (`src/cli/ping-pong.ts`) with the
 * hand-written socket loop. Node is a slower client than C: at 50 and 500
 * connections it may be the bottleneck, which pulls ratios towards 1.
 */
import net from "node:net";
import tls from "node:tls";
import { pingPong as runPingPong } from "../src/cli/ping-pong.js";
import { LatencyHistogram } from "../src/cli/histogram.js";
import { reply } from "./proc.js";
import { socketConnection } from "./raw-ping-pong.js";

const [mode = "pingpong", ...rest] = process.argv.slice(2);
const flags = new Map<string, string>();
for (let i = 0; i + 1 < rest.length; i += 2) flags.set(rest[i]!, rest[i + 1]!);
const port = Number(flags.get("-p"));
const conns = Number(flags.get("-c") ?? 1);
const size = Number(flags.get("-s") ?? 64);
const durationMs = Number(flags.get("-d") ?? 3000);
const warmupMs = Number(flags.get("-w") ?? 1000);
const useTls = flags.get("-P") === "tls";

/** What either mode measured, in the C tools' JSON fields. */
interface Measured {
  messages: number;
  totalMessages: number;
  seconds: number;
  latency: LatencyHistogram;
  errors: number;
  firstError: unknown;
}

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const options = { host: "127.0.0.1", port, noDelay: true };
    const socket = useTls ? tls.connect({ ...options, rejectUnauthorized: false }) : net.connect(options);
    socket.once(useTls ? "secureConnect" : "connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Each connection sends a message, waits for the whole echo, and again. */
async function pingPong(): Promise<Measured> {
  const sockets = await Promise.allSettled(Array.from({ length: conns }, connect));
  const connected = sockets.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
  const refused = sockets.find((result) => result.status === "rejected");
  const result = await runPingPong(connected.map(socketConnection), { size, durationMs, warmupMs });
  return {
    ...result,
    errors: result.failedConnections + sockets.length - connected.length,
    firstError: refused?.reason ?? result.firstError,
  };
}

/** Connect, one round trip, close; again until the time is up, from `conns` slots at once. */
async function churn(): Promise<Measured> {
  const message = Buffer.alloc(size, 7);
  const latency = new LatencyHistogram();
  const measureFrom = performance.now() + warmupMs;
  const end = measureFrom + durationMs;
  let messages = 0;
  let totalMessages = 0;
  let errors = 0;
  let firstError: unknown;
  const cycle = (): Promise<void> =>
    new Promise((resolve) => {
      const startedAt = performance.now();
      const socket = useTls ? tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }) : net.connect({ host: "127.0.0.1", port, noDelay: true });
      let got = 0;
      socket.once(useTls ? "secureConnect" : "connect", () => socket.write(message));
      socket.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (got < size) return;
        const now = performance.now();
        totalMessages++;
        if (startedAt >= measureFrom && now <= end) {
          messages++;
          latency.record((now - startedAt) * 1000);
        }
        socket.destroy();
        resolve();
      });
      socket.on("error", (error) => {
        errors++;
        firstError ??= error;
        resolve();
      });
    });
  const slot = async (): Promise<void> => {
    while (performance.now() < end) await cycle();
  };
  await Promise.all(Array.from({ length: conns }, slot));
  return { messages, totalMessages, seconds: durationMs / 1000, latency, errors, firstError };
}

const measured = await (mode === "churn" ? churn() : pingPong());
const rate = measured.seconds > 0 ? measured.messages / measured.seconds : 0;
reply({
  msgs_per_s: rate,
  p50_us: measured.latency.quantile(0.5),
  p99_us: measured.latency.quantile(0.99),
  msgs_all: measured.totalMessages,
  errors: measured.errors,
  ...(measured.firstError === undefined ? {} : { first_error: String(measured.firstError) }),
});
