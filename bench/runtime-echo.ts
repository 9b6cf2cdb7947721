/**
 * `node dist/bench/runtime-echo.js [--runtime bun] [--rounds 4] [--duration 2000]`:
 * CPU per echoed message of three servers on one runtime (default Bun):
 * tcpkit's Listener, a hand-written node:net echo, and Bun.listen itself
 * (skipped on other runtimes). 50 connections each keep one 512-byte
 * message in flight (ping-pong); the load runs here, in Node, and only the
 * server's CPU time is counted. Servers alternate each round (ABC, CBA, ...).
 */
import { once } from "node:events";
import net from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { median } from "./paired-ratios.js";
import { JsonChild } from "./proc.js";

const { values } = parseArgs({
  options: {
    runtime: { type: "string", default: "bun" },
    rounds: { type: "string", default: "4" },
    duration: { type: "string", default: "2000" },
    warmup: { type: "string", default: "500" },
    conns: { type: "string", default: "50" },
    size: { type: "string", default: "512" },
  },
});
const runtime = values.runtime!;
const rounds = Number(values.rounds);
const durationMs = Number(values.duration);
const warmupMs = Number(values.warmup);
const conns = Number(values.conns);
const size = Number(values.size);
const root = join(new URL(".", import.meta.url).pathname, "..", "..");
const binary = runtime === "node" ? process.execPath : join(root, "node_modules", ".bin", runtime);
const serverScript = join(root, "dist", "bench", "runtime-echo-server.js");
const kinds = runtime === "bun" ? ["tcpkit", "net", "bun-raw"] : ["tcpkit", "net"];

/** Ping-pong on `conns` connections until `stop` is set; resolves with the messages echoed. */
async function load(port: number, ms: number): Promise<number> {
  const payload = Buffer.alloc(size, 7);
  let messages = 0;
  let running = true;
  const sockets = await Promise.all(
    Array.from({ length: conns }, async () => {
      const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
      await once(socket, "connect");
      return socket;
    }),
  );
  for (const socket of sockets) {
    let pending = 0;
    socket.on("data", (chunk: Buffer) => {
      pending -= chunk.length;
      if (pending > 0) return;
      messages++;
      if (!running) return;
      pending = size;
      socket.write(payload);
    });
    pending = size;
    socket.write(payload);
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  running = false;
  const counted = messages;
  for (const socket of sockets) socket.destroy();
  return counted;
}

async function measure(kind: string): Promise<number> {
  const args = runtime === "deno" ? ["run", "-A", serverScript, kind] : [serverScript, kind];
  const server = new JsonChild(1, binary, args);
  try {
    const { port } = await server.next<{ port: number }>();
    await load(port, warmupMs);
    const before = await server.ask<{ cpuUs: number }>("stats");
    const messages = await load(port, durationMs);
    const after = await server.ask<{ cpuUs: number }>("stats");
    return (after.cpuUs - before.cpuUs) / messages;
  } finally {
    await server.stop();
  }
}

const results = new Map<string, number[]>(kinds.map((kind) => [kind, []]));
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? kinds : [...kinds].reverse();
  for (const kind of order) {
    const perMessage = await measure(kind);
    results.get(kind)!.push(perMessage);
    process.stderr.write(`round ${round + 1} ${kind}: ${perMessage.toFixed(2)} µs CPU per message\n`);
  }
}
const baseline = median(results.get(kinds[kinds.length - 1]!)!);
console.log(`\necho, ${conns} connections × ${size} B ping-pong, server on ${runtime}; median of ${rounds} rounds of ${durationMs} ms`);
console.log("| server | µs CPU per message | vs " + kinds[kinds.length - 1] + " |");
console.log("|---|---|---|");
for (const kind of kinds) {
  const value = median(results.get(kind)!);
  console.log(`| ${kind} | ${value.toFixed(2)} | ${(value / baseline).toFixed(2)}× |`);
}
