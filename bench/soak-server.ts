/**
 * The server side of the soak, run as its own process so its figures hold only
 * the listener: `node --expose-gc soak-server.js CERTDIR`. It answers stdin
 * lines with one JSON line each:
 * - `listen PHASE` starts a fresh Listener set up for the phase: `{"port"}`;
 * - `drain MS` waits (at most MS) until the listener has no connection;
 * - `limit` reports this process's soft limit on open files;
 * - `stats` samples the process (after a full collection when `gc` exists);
 * - `stop` gracefully stops the phase's listener: `{}`.
 * It exits when stdin closes.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Listener, type Caller, type ListenerConfiguration, type Service, type TcpError } from "../src/index.js";
import { exitWhenStdinCloses, onStdinLines, reply } from "./proc.js";
import { softFdLimit } from "../src/tcp/fd-watch.js";

const certDir = process.argv[2] ?? "";

/** Time-outs (seconds) the hostile-peer phases rely on; bench/soak.ts expects these values. */
const SOAK_TIMEOUTS = { idle: 2, handshake: 1, write: 1 } as const;

/** What the never-reading phase writes per `writeBytes`; awaited one at a time, so at most this is queued. */
const FLOOD_CHUNK = new Uint8Array(256 * 1024);

let listener: Listener | undefined;
/** Errors by code (or message when it has none), since the process started. */
const errors: Record<string, number> = {};
let writeTimeouts = 0;

function count(error: TcpError): void {
  const key = error.code ?? error.message;
  errors[key] = (errors[key] ?? 0) + 1;
}

const echo = { onBytes: (data: Uint8Array) => data, onError: count };
/** Takes the bytes and answers nothing: the slowloris peer is only to be timed out. */
const swallow = { onBytes: (): void => {}, onError: count };

/** Writes until a write fails (the write time-out against a peer that never reads). */
async function flood(caller: Caller): Promise<void> {
  try {
    for (;;) await caller.writeBytes(FLOOD_CHUNK);
  } catch (error) {
    if ((error as TcpError).code === "ERR_WRITE_TIMEOUT") writeTimeouts++;
    else count(error as TcpError);
  }
}

function setup(phase: string): { config: ListenerConfiguration; service: Service } {
  const local = { localHost: "127.0.0.1" };
  const key = { certFile: join(certDir, "server.crt"), keyFile: join(certDir, "server.key") };
  switch (phase) {
    case "idle":
    case "churn":
      return { config: local, service: { onConnect: () => echo, onError: count } };
    case "tls":
      return { config: { ...local, secureSocket: { key } }, service: { onConnect: () => echo, onError: count } };
    case "slowloris":
      return { config: { ...local, idleTimeout: SOAK_TIMEOUTS.idle }, service: { onConnect: () => swallow, onError: count } };
    case "silent":
      return {
        config: { ...local, secureSocket: { key, handshakeTimeout: SOAK_TIMEOUTS.handshake } },
        service: { onConnect: () => echo, onError: count },
      };
    case "neverread":
      return {
        config: { ...local, writeTimeout: SOAK_TIMEOUTS.write },
        service: {
          onConnect: (caller) => {
            void flood(caller).then(() => caller.close()).catch(count);
            return swallow;
          },
          onError: count,
        },
      };
    default:
      throw new Error(`unknown soak phase ${phase}`);
  }
}

/** Open file descriptors of this process (Linux); -1 where /proc is missing. */
function openFds(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;

function stats(): object {
  if (gc !== undefined) {
    gc();
    gc();
  }
  const memory = process.memoryUsage();
  return {
    fds: openFds(),
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    connections: listener?.connectionCount ?? 0,
    errors: { ...errors },
    writeTimeouts,
    gc: gc !== undefined,
  };
}

async function handle(command: string): Promise<object> {
  const [verb, arg = ""] = command.split(" ");
  if (verb === "stats") return stats();
  if (verb === "limit") return { fileLimit: softFdLimit() ?? null };
  if (verb === "listen") {
    if (listener !== undefined) throw new Error("a phase listener is already running");
    const { config, service } = setup(arg);
    const next = new Listener(0, config);
    next.attach(service);
    await next.start();
    listener = next;
    return { port: next.localPort, timeouts: SOAK_TIMEOUTS };
  }
  if (verb === "drain") {
    // Polled, not event-driven: the Listener has no "now empty" event; bounded by the runner's ms.
    const started = Date.now();
    const limitMs = Number(arg) || 10_000;
    while ((listener?.connectionCount ?? 0) > 0 && Date.now() - started < limitMs) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { connections: listener?.connectionCount ?? 0, waitedMs: Date.now() - started };
  }
  if (verb === "stop") {
    const current = listener;
    listener = undefined;
    // Each phase waits for its connections to end first; anything left is forced.
    await current?.immediateStop();
    return {};
  }
  throw new Error(`unknown command ${command}`);
}

let queue: Promise<void> = Promise.resolve();
onStdinLines((command) => {
  // One command at a time, answers in order.
  queue = queue.then(() => handle(command).then(reply, (error: unknown) => reply({ error: String(error) })));
});
exitWhenStdinCloses();
reply({ ready: true, pid: process.pid });
