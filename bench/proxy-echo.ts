/**
 * What the PROXY protocol costs a tcpkit echo listener: the same echo with and without
 * `proxyProtocol: true`, the load generator sending a v1 header first on each connection in the
 * proxy runs. Runs on its own (`npm run build && node dist/bench/proxy-echo.js [seconds] [rounds]`),
 * alternating the two variants so that drift in the machine hits both alike, and reports the
 * server's CPU time per message (ping-pong on 50 long connections: the cost after the header)
 * and per connection (churn: connect, header, one round trip, close: the cost of the header).
 *
 * The server is a child process (pinned to core 0 with `taskset` when that works); its CPU
 * time is read from the child itself, before and after the measured window.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Listener } from "../src/index.js";

type Variant = "plain" | "proxy";
type Load = "pingpong" | "churn";

const HEADER = Buffer.from("PROXY TCP4 192.0.2.1 192.0.2.11 56324 443\r\n", "latin1");
const MESSAGE = Buffer.alloc(64, 7);
const PINGPONG_CONNECTIONS = 50;
const CHURN_CONCURRENCY = 8;

/** The server side: `proxy-echo.js server plain|proxy`; answers `cpu` lines on stdin; exits when stdin closes. */
async function server(variant: Variant): Promise<void> {
  const listener = new Listener(0, { localHost: "127.0.0.1", ...(variant === "proxy" ? { proxyProtocol: true } : {}) });
  const echo = { onBytes: (data: Uint8Array) => data };
  listener.attach({ onConnect: () => echo, onError: () => {} });
  await listener.start();
  process.stdout.write(`${JSON.stringify({ port: listener.localPort })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on("line", () => {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuUs: cpu.user + cpu.system })}\n`);
  });
  lines.once("close", () => void listener.immediateStop().then(() => process.exit(0)));
}

/** A server child and its JSON lines. */
class ServerChild {
  readonly #child;
  readonly #lines: string[] = [];
  readonly #waiters: Array<(line: string) => void> = [];

  constructor(variant: Variant) {
    const self = fileURLToPath(import.meta.url);
    const pin = spawnSync("taskset", ["-c", "0", "true"]).status === 0;
    const [command, args] = pin ? ["taskset", ["-c", "0", process.execPath, self, "server", variant]] : [process.execPath, [self, "server", variant]];
    this.#child = spawn(command as string, args as string[], { stdio: ["pipe", "pipe", "inherit"] });
    createInterface({ input: this.#child.stdout! }).on("line", (line) => {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#lines.push(line);
      else waiter(line);
    });
  }

  async next<T>(): Promise<T> {
    const line = this.#lines.shift() ?? (await new Promise<string>((resolve) => this.#waiters.push(resolve)));
    return JSON.parse(line) as T;
  }

  async cpuUs(): Promise<number> {
    this.#child.stdin!.write("cpu\n");
    return (await this.next<{ cpuUs: number }>()).cpuUs;
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin!.end();
    await exited;
  }
}

/** One connection: header (if any) and a message, then a message per echo until `until`. */
function pingPong(port: number, header: Buffer | undefined, until: number, counter: { n: number }): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
    let got = 0;
    socket.once("connect", () => socket.write(header === undefined ? MESSAGE : Buffer.concat([header, MESSAGE])));
    socket.on("data", (chunk: Buffer) => {
      got += chunk.length;
      if (got < MESSAGE.length) return;
      got = 0;
      counter.n++;
      if (performance.now() >= until) {
        socket.destroy();
        resolve();
      } else {
        socket.write(MESSAGE);
      }
    });
    socket.on("error", () => resolve());
  });
}

/** Connections one after another: header (if any) and a message, the echo, close. */
async function churn(port: number, header: Buffer | undefined, until: number, counter: { n: number }): Promise<void> {
  const first = header === undefined ? MESSAGE : Buffer.concat([header, MESSAGE]);
  while (performance.now() < until) {
    await new Promise<void>((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port, noDelay: true });
      let got = 0;
      socket.once("connect", () => socket.write(first));
      socket.on("data", (chunk: Buffer) => {
        got += chunk.length;
        if (got < MESSAGE.length) return;
        counter.n++;
        socket.end();
      });
      socket.once("close", () => resolve());
      socket.on("error", () => {});
    });
  }
}

interface Cell {
  variant: Variant;
  load: Load;
  /** Messages (ping-pong) or connections (churn) in the measured window. */
  count: number;
  perSecond: number;
  /** Server CPU µs per message or connection. */
  cpuUsPer: number;
}

async function measure(variant: Variant, load: Load, seconds: number): Promise<Cell> {
  const child = new ServerChild(variant);
  try {
    const { port } = await child.next<{ port: number }>();
    const header = variant === "proxy" ? HEADER : undefined;
    const run = async (ms: number): Promise<number> => {
      const counter = { n: 0 };
      const until = performance.now() + ms;
      const loops = load === "pingpong" ? PINGPONG_CONNECTIONS : CHURN_CONCURRENCY;
      const body = load === "pingpong" ? pingPong : churn;
      await Promise.all(Array.from({ length: loops }, () => body(port, header, until, counter)));
      return counter.n;
    };
    await run(500); // warm-up: JIT, connection set-up
    const before = await child.cpuUs();
    const startedAt = performance.now();
    const count = await run(seconds * 1000);
    const elapsed = (performance.now() - startedAt) / 1000;
    const cpu = (await child.cpuUs()) - before;
    return { variant, load, count, perSecond: count / elapsed, cpuUsPer: cpu / count };
  } finally {
    await child.stop();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const rounds = Number(process.argv[3] ?? 5);
  const cells: Cell[] = [];
  for (const load of ["pingpong", "churn"] as const) {
    for (let round = 0; round < rounds; round++) {
      // Alternate which variant goes first, so neither always runs on a warmer machine.
      const order: Variant[] = round % 2 === 0 ? ["plain", "proxy"] : ["proxy", "plain"];
      for (const variant of order) {
        const cell = await measure(variant, load, seconds);
        cells.push(cell);
        const unit = load === "pingpong" ? "msg" : "conn";
        console.log(`${load.padEnd(8)} ${variant.padEnd(5)} ${cell.perSecond.toFixed(0).padStart(7)} ${unit}/s  ${cell.cpuUsPer.toFixed(2).padStart(6)} µs CPU/${unit}`);
      }
    }
  }
  console.log("\nmedians (server CPU per message / per connection):");
  for (const load of ["pingpong", "churn"] as const) {
    const of = (variant: Variant): Cell[] => cells.filter((c) => c.load === load && c.variant === variant);
    const plain = median(of("plain").map((c) => c.cpuUsPer));
    const proxy = median(of("proxy").map((c) => c.cpuUsPer));
    const rate = (variant: Variant): string => median(of(variant).map((c) => c.perSecond)).toFixed(0);
    console.log(
      `${load.padEnd(8)} plain ${plain.toFixed(2)} µs (${rate("plain")}/s)  proxy ${proxy.toFixed(2)} µs (${rate("proxy")}/s)  ` +
        `proxy/plain ${(proxy / plain).toFixed(3)}`,
    );
  }
}

if (process.argv[2] === "server") await server(process.argv[3] === "proxy" ? "proxy" : "plain");
else await main();
