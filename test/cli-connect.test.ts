/**
 * `tcpkit echo` and `tcpkit connect`, run as child processes and talking
 * through their pipes: the round trip, the hex dump, and the exit codes when
 * either side ends the connection.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { CliProcess, runCli, startEchoServer } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer, readToEnd } from "./helpers/peers.js";

checkLeaksAfterEachTest();

const noStackTrace = /^\s+at /m;

test("echo + connect: stdin goes round through the echo server to stdout", { timeout: 30_000 }, async () => {
  const { server, port } = await startEchoServer();
  try {
    const input = randomBytes(256 * 1024);
    const result = await runCli(["connect", "127.0.0.1", String(port)], { input });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.equals(input), "what came back is what was sent");
    assert.equal(result.stderr, "");
    await server.waitFor(new RegExp(`^\\[\\w+\\] 127\\.0\\.0\\.1:\\d+ left after [\\d.]+ s, ${input.length} bytes echoed$`, "m"), "stdout");
    assert.match(server.stdout.toString(), /^\[\w+\] connected from 127\.0\.0\.1:\d+$/m);
  } finally {
    const stopped = await server.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout.toString(), /^stopping$/m);
  }
});

test("connect --hex shows what arrives as a hex dump; --verbose reports on stderr", { timeout: 30_000 }, async () => {
  const { server, port } = await startEchoServer();
  try {
    const result = await runCli(["connect", "127.0.0.1", String(port), "--hex", "-v"], { input: "hello world, a hex dump\n" });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout.toString(),
      "00000000  68 65 6c 6c 6f 20 77 6f  72 6c 64 2c 20 61 20 68  |hello world, a h|\n" +
        "00000010  65 78 20 64 75 6d 70 0a                           |ex dump.|\n",
    );
    assert.match(result.stderr, new RegExp(`^connected to 127\\.0\\.0\\.1:${port} from 127\\.0\\.0\\.1:\\d+\\nconnection closed by the server\\n$`));
  } finally {
    await server.stop("SIGTERM");
  }
});

test("after the server's end of stream, connect goes on sending stdin and exits 0 when stdin ends", { timeout: 30_000 }, async () => {
  let received: Promise<Buffer> | undefined;
  const server = await rawServer((socket) => {
    received = readToEnd(socket);
    socket.end("goodbye\n");
  });
  const client = new CliProcess(["connect", "127.0.0.1", String(server.port), "-v"]);
  try {
    await client.waitFor(/^connection closed by the server$/m, "stderr");
    client.child.stdin!.end("still sent\n");
    const result = await client.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString(), "goodbye\n");
    assert.equal((await received!).toString(), "still sent\n");
  } finally {
    await client.stop("SIGKILL");
    await server.close();
  }
});

test("connect exits 1 with the reason when the connection is reset", { timeout: 30_000 }, async () => {
  const server = await rawServer((socket) => {
    socket.once("data", () => socket.resetAndDestroy());
  });
  const client = new CliProcess(["connect", "127.0.0.1", String(server.port)]);
  try {
    client.child.stdin!.write("anything\n");
    const result = await client.finish();
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^tcpkit connect: .*ECONNRESET/);
    assert.doesNotMatch(result.stderr, noStackTrace);
  } finally {
    await client.stop("SIGKILL");
    await server.close();
  }
});

test("connect to a port nobody listens on: exit 1 and Ballerina's message", { timeout: 30_000 }, async () => {
  // A port that was free a moment ago: bind one, note it, close it.
  const server = await rawServer(() => {});
  const port = server.port;
  await server.close();
  const result = await runCli(["connect", "127.0.0.1", String(port)]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^tcpkit connect: Unable to connect with remote host: .*ECONNREFUSED.*\n$/);
  assert.doesNotMatch(result.stderr, noStackTrace);
});

test("Ctrl-C ends connect with exit code 130", { timeout: 30_000 }, async () => {
  const server = await rawServer(() => {}); // accepts and stays silent
  const client = new CliProcess(["connect", "127.0.0.1", String(server.port), "--verbose"]);
  try {
    await client.waitFor(/^connected to /, "stderr");
    const result = await client.stop("SIGINT");
    assert.equal(result.code, 130, result.stderr);
    assert.doesNotMatch(result.stderr, noStackTrace);
  } finally {
    await client.stop("SIGKILL");
    await server.close();
  }
});

test("the echo server refuses a port in use with exit 1", { timeout: 30_000 }, async () => {
  const { server, port } = await startEchoServer();
  try {
    const second = await runCli(["echo", "--port", String(port), "--host", "127.0.0.1"]);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /^tcpkit echo: Error initializing the server: .*EADDRINUSE/);
  } finally {
    await server.stop("SIGTERM");
  }
  assert.equal(server.child.exitCode, 0, "the first server ran on until it was stopped");
});
