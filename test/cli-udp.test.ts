/**
 * `tcpkit udp send` and `tcpkit udp listen`, run as child processes, with raw
 * `node:dgram` sockets as the peers, and with each other.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { once } from "node:events";
import { test } from "node:test";
import { CliProcess, runCli } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

/** A raw UDP socket on 127.0.0.1:0. */
async function rawUdp(): Promise<{ socket: dgram.Socket; port: number; close(): Promise<void> }> {
  const socket = dgram.createSocket("udp4");
  // Bun reports an ICMP refusal (a reply to a sender that is gone) on an unconnected socket too.
  socket.on("error", () => {});
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return {
    socket,
    port: socket.address().port,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

async function startUdpListen(...extra: string[]): Promise<{ listen: CliProcess; port: number }> {
  const listen = new CliProcess(["udp", "listen", "--port", "0", "--host", "127.0.0.1", ...extra]);
  try {
    const match = await listen.waitFor(/^listening on udp 127\.0\.0\.1:(\d+)$/m, "stderr");
    return { listen, port: Number(match[1]) };
  } catch (error) {
    await listen.stop("SIGKILL");
    throw error;
  }
}

test("udp send delivers MESSAGE as one datagram; --reply prints the answer", { timeout: 30_000 }, async () => {
  const peer = await rawUdp();
  const received: string[] = [];
  peer.socket.on("message", (message, from) => {
    received.push(message.toString());
    peer.socket.send(`pong to ${message.toString()}`, from.port, from.address);
  });
  try {
    const plain = await runCli(["udp", "send", "127.0.0.1", String(peer.port), "first message"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout.length, 0);
    const withReply = await runCli(["udp", "send", "127.0.0.1", String(peer.port), "ping", "--reply"]);
    assert.equal(withReply.code, 0, withReply.stderr);
    assert.equal(withReply.stdout.toString(), "pong to ping");
    assert.deepEqual(received, ["first message", "ping"]);
  } finally {
    await peer.close();
  }
});

test("udp listen prints each datagram from a raw socket and exits after --count", { timeout: 30_000 }, async () => {
  const { listen, port } = await startUdpListen("--count", "2");
  const peer = await rawUdp();
  try {
    peer.socket.send("one ", port, "127.0.0.1");
    await listen.waitFor(/one /, "stdout");
    peer.socket.send(Buffer.from([0, 1, 2, 255]), port, "127.0.0.1");
    const result = await listen.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.equals(Buffer.concat([Buffer.from("one "), Buffer.from([0, 1, 2, 255])])));
    const from = new RegExp(`^datagram from 127\\.0\\.0\\.1:${peer.port}, (\\d+) bytes$`, "gm");
    assert.deepEqual([...result.stderr.matchAll(from)].map((match) => match[1]), ["4", "4"]);
  } finally {
    await listen.stop("SIGKILL");
    await peer.close();
  }
});

test("udp listen --echo and udp send --reply --hex talk to each other; Ctrl-C stops the listener with 0", { timeout: 30_000 }, async () => {
  const { listen, port } = await startUdpListen("--echo", "--quiet");
  try {
    const result = await runCli(["udp", "send", "127.0.0.1", String(port), "-", "--reply", "--hex"], { input: "hi\r\n" });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString(), "00000000  68 69 0d 0a                                       |hi..|\n");
    await listen.waitFor(/hi\r\n/, "stdout");
  } finally {
    const stopped = await listen.stop("SIGINT");
    assert.equal(stopped.code, 0);
    assert.match(stopped.stderr, /^listening on udp /); // --quiet leaves only the line that names the port
  }
});

test("udp send --reply with nobody answering: exit 1, Read timed out", { timeout: 30_000 }, async () => {
  const silent = await rawUdp();
  try {
    const result = await runCli(["udp", "send", "127.0.0.1", String(silent.port), "hello?", "-r", "-t", "0.2"]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "tcpkit udp send: Read timed out\n");
  } finally {
    await silent.close();
  }
});

test("udp send: a payload over the UDP maximum is exit 1 with the library's reason", { timeout: 30_000 }, async () => {
  const peer = await rawUdp();
  try {
    const result = await runCli(["udp", "send", "127.0.0.1", String(peer.port), "-"], { input: Buffer.alloc(70_000) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^tcpkit udp send: .*65507/);
  } finally {
    await peer.close();
  }
});
