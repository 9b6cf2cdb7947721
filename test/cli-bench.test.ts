/**
 * `tcpkit bench` against `tcpkit echo`, both child processes: it ends by
 * itself with a sane table (or JSON), and reports a failing server with exit 1.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli, startEchoServer } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer } from "./helpers/peers.js";

checkLeaksAfterEachTest();

/** `850 µs` / `1.25 ms` / `2.00 s` in microseconds. */
function micros(text: string): number {
  const match = /^([\d.]+) (µs|ms|s)$/.exec(text);
  assert.ok(match !== null, `a latency: '${text}'`);
  return Number(match[1]) * { µs: 1, ms: 1e3, s: 1e6 }[match[2] as "µs" | "ms" | "s"];
}

test("bench finishes on its own and prints a sane table", { timeout: 30_000 }, async () => {
  const { server, port } = await startEchoServer();
  try {
    // runCli kills the command if it is still running after 15 s: the run itself is 1.5 s.
    const result = await runCli(["bench", "127.0.0.1", String(port), "-c", "4", "-s", "1k", "-d", "1", "-w", "0.5"], {
      timeoutMs: 15_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const [header, values, summary, ...rest] = result.stdout.toString().trimEnd().split("\n");
    assert.deepEqual(rest, []);
    assert.deepEqual(header!.trim().split(/\s{2,}/), ["connections", "size", "messages/s", "MB/s", "p50", "p90", "p99", "max"]);
    const cells = values!.trim().split(/\s{2,}/);
    assert.equal(cells[0], "4");
    assert.equal(cells[1], "1 KiB");
    const messagesPerSecond = Number(cells[2]!.replaceAll(",", ""));
    assert.ok(messagesPerSecond > 0, `messages/s: ${cells[2]}`);
    assert.ok(Math.abs(Number(cells[3]) - (messagesPerSecond * 1024) / 1e6) < 0.02, `MB/s agrees: ${cells[3]}`);
    const [p50, p90, p99, max] = cells.slice(4).map(micros) as [number, number, number, number];
    assert.ok(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= max, `ordered: ${cells.slice(4).join(" ")}`);
    assert.match(summary!, new RegExp(`^[\\d,]+ round trips to 127\\.0\\.0\\.1:${port} in 1\\.\\d\\d s, 0 failed connections$`));
    // stderr is a pipe here: plain lines (no terminal control codes), at most one a second.
    const progress = result.stderr.trimEnd().split("\n").map((line) => {
      const match = /^ +([\d.]+) s( \(warm-up\))?  [\d,]+ msg\/s  [\d.]+ MB\/s$/.exec(line);
      assert.ok(match !== null, `a progress line: ${JSON.stringify(line)}`);
      return Number(match[1]);
    });
    assert.ok(progress.length >= 1, "a progress line during a 1.5 s run");
    progress.slice(1).forEach((elapsed, i) => assert.ok(elapsed - progress[i]! >= 0.9, `progress at ${progress.join(", ")} s`));
  } finally {
    await server.stop("SIGTERM");
  }
  assert.match(server.stdout.toString(), /(left after .*\n[^]*){4}/, "the four connections were closed cleanly");
});

test("bench --json gives one object with the same figures", { timeout: 30_000 }, async () => {
  const { server, port } = await startEchoServer();
  try {
    const result = await runCli(["bench", "127.0.0.1", String(port), "-c", "2", "-s", "100k", "-d", "0.5", "--json"], {
      timeoutMs: 15_000,
    });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout.toString()) as {
      connections: number;
      size: number;
      messages: number;
      seconds: number;
      messagesPerSecond: number;
      latencyMicros: { p50: number; p90: number; p99: number; max: number };
      failedConnections: number;
    };
    assert.equal(report.connections, 2);
    assert.equal(report.size, 100 * 1024);
    assert.ok(report.messages > 0);
    // `seconds` is rounded to 1 ms in the JSON: allow for that rounding, no more.
    const rate = report.messages / report.seconds;
    assert.ok(Math.abs(report.messagesPerSecond - rate) <= rate * (0.0005 / report.seconds) + 1, `${report.messagesPerSecond} vs ${rate}`);
    const { p50, p90, p99, max } = report.latencyMicros;
    assert.ok(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= max, JSON.stringify(report.latencyMicros));
    assert.equal(report.failedConnections, 0);
  } finally {
    await server.stop("SIGTERM");
  }
});

test("bench against a server that drops connections: the table, then exit 1 with the reason", { timeout: 30_000 }, async () => {
  let accepted = 0;
  const server = await rawServer((socket) => {
    // The first connection echoes, the second is closed at its first message.
    if (++accepted === 1) socket.pipe(socket);
    else socket.once("data", () => socket.destroy());
  });
  try {
    const result = await runCli(["bench", "127.0.0.1", String(server.port), "-c", "2", "-d", "0.5"], { timeoutMs: 15_000 });
    assert.equal(result.code, 1);
    assert.match(result.stdout.toString(), / 1 failed connections\n$/);
    assert.match(result.stderr, /^tcpkit bench: 1 of 2 connections failed: /m);
  } finally {
    await server.close();
  }
});

test("bench against a port nobody listens on: exit 1 at once", { timeout: 30_000 }, async () => {
  const server = await rawServer(() => {});
  const port = server.port;
  await server.close();
  const result = await runCli(["bench", "127.0.0.1", String(port), "-c", "3", "-d", "60"], { timeoutMs: 15_000 });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^tcpkit bench: Unable to connect with remote host: .*ECONNREFUSED/);
  assert.equal(result.stdout.length, 0);
});
