/**
 * `tcpkit bench`: a ping-pong load generator against an echo server, with a
 * live progress line on stderr and a table of throughput and latency.
 *
 * @module
 */
import { setMaxListeners } from "node:events";
import { Client, type ClientConfiguration } from "../index.js";
import { ExitCode, formatAddress, parseCount, parsePort, parseSeconds, parseSize, type CommandSpec } from "./args.js";
import { messageOf, type Command, type CommandIo } from "./command.js";
import { clientConnection, pingPong, type PingPongResult, type Progress } from "./ping-pong.js";
import { clientSecureSocket, clientTlsOptions, insecureWarning, withTlsHint } from "./tls-flags.js";

const MAX_SIZE = 64 * 1024 * 1024;
const MAX_CONNECTIONS = 10_000;
/** Connection attempts in flight at once while setting up. */
const CONNECT_BATCH = 100;

const spec = {
  name: "bench",
  summary: "load an echo server: messages/s, MB/s and latency percentiles",
  usage: "bench HOST PORT [-c CONNECTIONS] [-s SIZE] [-d SECONDS] [-w SECONDS] [--json] [--tls ...]",
  description:
    "A closed-loop (ping-pong) load generator for an echo server: each connection sends SIZE\n" +
    "bytes, waits for the whole echo, checks it, records the round trip and sends again.\n" +
    "Shows progress on stderr while it runs, then a table on stdout: messages/s, MB/s\n" +
    "(10^6 bytes of messages per second, one way) and round-trip latency percentiles.\n" +
    "Exit code 1 when a connection fails during the run. The TLS options are those of connect.",
  positionals: ["HOST", "PORT"],
  options: {
    connections: { type: "string", short: "c", value: "N", description: "connections, each with one message in flight (default 10)" },
    size: { type: "string", short: "s", value: "SIZE", description: "message size in bytes, k/m suffixes allowed (default 512)" },
    duration: { type: "string", short: "d", value: "S", description: "seconds to measure (default 5)" },
    warmup: { type: "string", short: "w", value: "S", description: "seconds of load before measuring (default 0)" },
    json: { type: "boolean", description: "print the result as one JSON object instead of a table" },
    ...clientTlsOptions,
  },
  examples: ["tcpkit bench 127.0.0.1 7000 -c 50 -s 512 -d 5", "tcpkit bench 127.0.0.1 7000 -c 8 -s 16k -d 10 -w 2 --json"],
} as const satisfies CommandSpec;

/** The `bench` command. */
export const benchCommand: Command<typeof spec.options> = {
  spec,
  async run({ values, positionals }, io) {
    const [host, portText] = positionals as [string, string];
    const port = parsePort(portText, "PORT", 1);
    const connections = parseCount(values.connections ?? "10", "--connections", MAX_CONNECTIONS);
    const size = parseSize(values.size ?? "512", "--size", MAX_SIZE);
    const duration = parseSeconds(values.duration ?? "5", "--duration", 0.1, 86_400);
    const warmup = parseSeconds(values.warmup ?? "0", "--warmup", 0, 3_600);

    const secureSocket = clientSecureSocket(values);
    if (values.insecure === true) io.stderr.write(insecureWarning("bench"));
    const config: ClientConfiguration = { timeout: 0, signal: io.interrupt };
    if (secureSocket !== undefined) config.secureSocket = secureSocket;
    const clients = await connectAll(host, port, connections, config);
    const progress = new ProgressLine(io.stderr);
    const result = await pingPong(clients.map(clientConnection), {
      size,
      warmupMs: warmup * 1000,
      durationMs: duration * 1000,
      signal: io.interrupt,
      progressIntervalMs: progress.intervalMs,
      onProgress: (figures) => progress.show(figures),
    });
    progress.clear();

    const report = { target: formatAddress(host, port), connections, size, result };
    io.stdout.write(values.json === true ? `${JSON.stringify(toJson(report))}\n` : formatTable(report));
    if (result.failedConnections > 0) {
      io.stderr.write(
        `tcpkit bench: ${result.failedConnections} of ${connections} connections failed: ${messageOf(result.firstError)}\n`,
      );
      return ExitCode.failure;
    }
    if (io.interrupt.aborted) return ExitCode.interrupted;
    if (result.messages === 0) {
      io.stderr.write("tcpkit bench: no round trip completed in the measured time\n");
      return ExitCode.failure;
    }
    return ExitCode.ok;
  },
};

/** Opens `count` connections, a batch at a time; all or none (the opened ones are closed on failure). */
async function connectAll(host: string, port: number, count: number, config: ClientConfiguration): Promise<Client[]> {
  const clients: Client[] = [];
  // One abort listener per attempt in flight: more than the default warning limit of 10.
  if (config.signal !== undefined) setMaxListeners(CONNECT_BATCH + 10, config.signal);
  try {
    while (clients.length < count) {
      const batch = Math.min(CONNECT_BATCH, count - clients.length);
      const attempts = await Promise.allSettled(
        Array.from({ length: batch }, () => Client.connect(host, port, config)),
      );
      for (const attempt of attempts) if (attempt.status === "fulfilled") clients.push(attempt.value);
      const failed = attempts.find((attempt) => attempt.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    }
    return clients;
  } catch (error) {
    await Promise.all(clients.map((client) => client.close()));
    throw withTlsHint(error);
  }
}

/**
 * The live line on stderr: redrawn in place four times a second on a
 * terminal, one line a second when stderr is a file or a pipe.
 */
class ProgressLine {
  readonly #stream: CommandIo["stderr"];
  readonly #tty: boolean;
  readonly intervalMs: number;
  #drawn = false;

  constructor(stream: CommandIo["stderr"]) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
    this.intervalMs = this.#tty ? 250 : 1000;
  }

  show(progress: Progress): void {
    const line =
      `${progress.elapsed.toFixed(1).padStart(6)} s${progress.warmingUp ? " (warm-up)" : ""}  ` +
      `${formatCount(progress.messagesPerSecond)} msg/s  ${progress.megabytesPerSecond.toFixed(2)} MB/s`;
    if (this.#tty) {
      this.#stream.write(`\r\x1b[K${line}`);
      this.#drawn = true;
    } else {
      this.#stream.write(`${line}\n`);
    }
  }

  /** Erases the live line before the table is printed. */
  clear(): void {
    if (this.#drawn) this.#stream.write("\r\x1b[K");
  }
}

interface Report {
  readonly target: string;
  readonly connections: number;
  readonly size: number;
  readonly result: PingPongResult;
}

const PERCENTILES = [
  ["p50", 0.5],
  ["p90", 0.9],
  ["p99", 0.99],
] as const;

function rates(report: Report): { messagesPerSecond: number; megabytesPerSecond: number } {
  const { messages, seconds } = report.result;
  const messagesPerSecond = seconds > 0 ? messages / seconds : 0;
  return { messagesPerSecond, megabytesPerSecond: (messagesPerSecond * report.size) / 1e6 };
}

/** A header row and one result row, then a line of totals. */
function formatTable(report: Report): string {
  const { result } = report;
  const { messagesPerSecond, megabytesPerSecond } = rates(report);
  const cells: Array<[string, string]> = [
    ["connections", String(report.connections)],
    ["size", formatBytes(report.size)],
    ["messages/s", formatCount(messagesPerSecond)],
    ["MB/s", megabytesPerSecond.toFixed(2)],
    ...PERCENTILES.map(([name, q]): [string, string] => [name, formatMicros(result.latency.quantile(q))]),
    ["max", formatMicros(result.latency.max)],
  ];
  const widths = cells.map(([title, value]) => Math.max(title.length, value.length));
  const row = (texts: string[]): string => texts.map((text, i) => text.padStart(widths[i]!)).join("  ");
  return (
    `${row(cells.map(([title]) => title))}\n${row(cells.map(([, value]) => value))}\n` +
    `${formatCount(result.messages)} round trips to ${report.target} in ${result.seconds.toFixed(2)} s, ` +
    `${result.failedConnections} failed connections\n`
  );
}

function toJson(report: Report): Record<string, unknown> {
  const { result } = report;
  const { messagesPerSecond, megabytesPerSecond } = rates(report);
  const micros = (q: number): number => result.latency.quantile(q);
  return {
    target: report.target,
    connections: report.connections,
    size: report.size,
    seconds: round(result.seconds, 3),
    messages: result.messages,
    messagesPerSecond: round(messagesPerSecond, 1),
    megabytesPerSecond: round(megabytesPerSecond, 3),
    latencyMicros: { p50: micros(0.5), p90: micros(0.9), p99: micros(0.99), max: result.latency.max },
    failedConnections: result.failedConnections,
  };
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

/** `45,702`: whole, with thousands separators (fixed locale, so output is the same everywhere). */
function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** `850 µs`, `1.25 ms`, `2.50 s`. */
function formatMicros(micros: number): string {
  if (micros < 1000) return `${Math.round(micros)} µs`;
  if (micros < 1_000_000) return `${(micros / 1000).toFixed(2)} ms`;
  return `${(micros / 1_000_000).toFixed(2)} s`;
}

/** `512 B`, `16 KiB`, `1.5 MiB`. */
function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${Number((bytes / 1024 / 1024).toFixed(1))} MiB`;
}
