/**
 * What framing costs: a length-prefixed (4-byte) echo served by a Listener
 * through `framing` + `onFrame`, against the same echo written by hand with
 * `onBytes` and a per-connection reassembly buffer, as a user would without
 * codecs. Judged by the server's CPU time per echoed message (both servers
 * count the frames they answer), in ABBA pairs, the server pinned to core 0
 * and the load to core 1 when taskset works.
 *
 *   npm run build && node dist/bench/framing-echo.js [--pairs 4] [--duration 3000] [--warmup 1000]
 *     [--sizes 64,16384] [--conns 50] [--window 4]
 *
 * The same file is the server (`server onFrame|onBytes`) and the load
 * (`load <port> <conns> <window> <size>`) children.
 */
import net from "node:net";
import { parseArgs } from "node:util";
import { Listener, lengthPrefixed, type ConnectionService } from "../src/index.js";
import { abbaOrder } from "./paired-ratios.js";
import { exitWhenStdinCloses, nodeChild, reply, type JsonChild } from "./proc.js";

type Variant = "onFrame" | "onBytes";
const HEADER = 4;

/** The hand-written service: a buffer per connection, frames cut out of it, replies joined per chunk. */
function byHand(count: () => void): ConnectionService {
  let pending: Buffer = Buffer.alloc(0);
  return {
    onBytes(data) {
      const chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const replies: Buffer[] = [];
      let at = 0;
      while (pending.length - at >= HEADER) {
        const size = pending.readUInt32BE(at);
        if (size > 1024 * 1024) return new Error("frame too long");
        if (pending.length - at < HEADER + size) break;
        // Echo the frame: its header and payload, as they came.
        replies.push(pending.subarray(at, at + HEADER + size));
        at += HEADER + size;
        count();
      }
      pending = at === pending.length ? Buffer.alloc(0) : pending.subarray(at);
      if (replies.length === 0) return undefined;
      return replies.length === 1 ? replies[0] : Buffer.concat(replies);
    },
  };
}

async function server(variant: Variant): Promise<void> {
  let frames = 0;
  const count = (): void => void frames++;
  const codec = lengthPrefixed({ lengthBytes: 4 });
  const framed: ConnectionService<Uint8Array> = {
    framing: codec,
    onFrame(frame) {
      frames++;
      return frame;
    },
  };
  const listener = new Listener(0, { localHost: "127.0.0.1" });
  listener.attach({ onConnect: () => (variant === "onFrame" ? framed : byHand(count)) });
  await listener.start();
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", () => {
    const cpu = process.cpuUsage();
    reply({ cpuUs: cpu.user + cpu.system, frames });
  });
  exitWhenStdinCloses();
  reply({ port: listener.localPort });
}

/** `conns` connections, each keeping `window` frames of `size` bytes in flight, until stdin closes. */
async function load(port: number, conns: number, window: number, size: number): Promise<void> {
  const frame = Buffer.alloc(HEADER + size, 0x61);
  frame.writeUInt32BE(size, 0);
  const sockets: net.Socket[] = [];
  for (let i = 0; i < conns; i++) {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    socket.on("error", () => {});
    let received = 0;
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      // One new frame per whole reply: the window stays full.
      while (received >= frame.length) {
        received -= frame.length;
        socket.write(frame);
      }
    });
    socket.once("connect", () => {
      for (let k = 0; k < window; k++) socket.write(frame);
    });
    sockets.push(socket);
  }
  exitWhenStdinCloses(() => sockets.forEach((s) => s.destroy()));
  reply({ started: conns });
}

interface Sample {
  variant: Variant;
  pair: number;
  cpuUsPerMsg: number;
  msgsPerS: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(variant: Variant, size: number, options: { conns: number; window: number; warmupMs: number; durationMs: number }): Promise<Omit<Sample, "pair">> {
  const serverChild = nodeChild(0, "framing-echo.js", ["server", variant]);
  let loadChild: JsonChild | undefined;
  try {
    const { port } = await serverChild.next<{ port: number }>(30_000);
    loadChild = nodeChild(1, "framing-echo.js", ["load", String(port), String(options.conns), String(options.window), String(size)]);
    await loadChild.next(30_000);
    await sleep(options.warmupMs);
    const before = await serverChild.ask<{ cpuUs: number; frames: number }>("stats");
    const start = performance.now();
    await sleep(options.durationMs);
    const after = await serverChild.ask<{ cpuUs: number; frames: number }>("stats");
    const wallMs = performance.now() - start;
    const frames = Math.max(1, after.frames - before.frames);
    return { variant, cpuUsPerMsg: (after.cpuUs - before.cpuUs) / frames, msgsPerS: (frames / wallMs) * 1000 };
  } finally {
    await loadChild?.stop();
    await serverChild.stop();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const [role, ...rest] = process.argv.slice(2);
  if (role === "server") return server(rest[0] as Variant);
  if (role === "load") return load(Number(rest[0]), Number(rest[1]), Number(rest[2]), Number(rest[3]));

  const { values } = parseArgs({
    options: {
      pairs: { type: "string", default: "4" },
      duration: { type: "string", default: "3000" },
      warmup: { type: "string", default: "1000" },
      sizes: { type: "string", default: "64,16384" },
      conns: { type: "string", default: "50" },
      window: { type: "string", default: "4" },
    },
  });
  const options = {
    conns: Number(values.conns),
    window: Number(values.window),
    warmupMs: Number(values.warmup),
    durationMs: Number(values.duration),
  };
  const pairs = Number(values.pairs);
  process.stdout.write(
    `length-prefixed echo, ${options.conns} connections × ${options.window} frames in flight, ${pairs} ABBA pairs of ${options.durationMs} ms\n\n` +
      "| payload | onFrame µs CPU/msg | onBytes by hand µs CPU/msg | ratio (median, min–max) | onFrame msgs/s | by hand msgs/s |\n" +
      "|---|---|---|---|---|---|\n",
  );
  for (const size of values.sizes!.split(",").map(Number)) {
    const samples: Sample[] = [];
    for (const [pair, variants] of abbaOrder<Variant>("onFrame", "onBytes", pairs).entries()) {
      for (const variant of variants) samples.push({ ...(await measure(variant, size, options)), pair });
    }
    const of = (variant: Variant): Sample[] => samples.filter((s) => s.variant === variant);
    const ratios = [...Array(pairs).keys()].map((pair) => {
      const a = samples.find((s) => s.pair === pair && s.variant === "onFrame")!;
      const b = samples.find((s) => s.pair === pair && s.variant === "onBytes")!;
      return a.cpuUsPerMsg / b.cpuUsPerMsg;
    });
    const cpu = (variant: Variant): string => median(of(variant).map((s) => s.cpuUsPerMsg)).toFixed(2);
    const rate = (variant: Variant): string => Math.round(median(of(variant).map((s) => s.msgsPerS))).toLocaleString("en");
    process.stdout.write(
      `| ${size} B | ${cpu("onFrame")} | ${cpu("onBytes")} | ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}) | ${rate("onFrame")} | ${rate("onBytes")} |\n`,
    );
  }
}

await main();
