/**
 * `tcpkit echo --proxy-protocol` and `tcpkit listen --proxy-protocol`, run as child processes,
 * with raw sockets that send a PROXY header first: the client's address comes from the header.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CliProcess, startEchoServer } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { destroyed, readFully } from "./helpers/peers.js";
import { clientSending, closedByListener } from "./helpers/proxy-peers.js";
import { v2 } from "./helpers/proxy-bytes.js";

checkLeaksAfterEachTest();

const header = Buffer.from("PROXY TCP4 192.0.2.1 192.0.2.11 56324 443\r\n");

test("echo --proxy-protocol logs the client from the header and the balancer it came through", { timeout: 30_000 }, async () => {
  const { server, port } = await startEchoServer("--proxy-protocol");
  try {
    const socket = await clientSending(port, Buffer.concat([header, Buffer.from("hi")]));
    try {
      assert.equal((await readFully(socket, 2)).toString(), "hi");
      await server.waitFor(/^\[\w+\] connected from 192\.0\.2\.1:56324 via 127\.0\.0\.1:\d+ \(PROXY v1\)$/m, "stdout");
    } finally {
      await destroyed(socket);
    }
    await server.waitFor(/^\[\w+\] 192\.0\.2\.1:56324 left after [\d.]+ s, 2 bytes echoed$/m, "stdout");

    const health = await clientSending(port, v2(0x20, 0x00));
    health.end();
    await server.waitFor(/^\[\w+\] connected from 127\.0\.0\.1:\d+ via 127\.0\.0\.1:\d+ \(PROXY v2 LOCAL\)$/m, "stdout");
    await closedByListener(health);

    const bad = await clientSending(port, Buffer.from("GET / HTTP/1.0\r\n\r\n"));
    await closedByListener(bad);
    await server.waitFor(/^error: Invalid PROXY protocol header: not a PROXY protocol header$/m, "stdout");
  } finally {
    const stopped = await server.stop("SIGTERM");
    assert.equal(stopped.code, 0, stopped.stderr);
  }
});

test("listen --proxy-protocol shows the client from the header", { timeout: 30_000 }, async () => {
  const listen = new CliProcess(["listen", "--port", "0", "--host", "127.0.0.1", "--proxy-protocol"]);
  try {
    const port = Number((await listen.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/m, "stderr"))[1]);
    const socket = await clientSending(port, Buffer.concat([header, Buffer.from("payload")]));
    socket.end();
    await closedByListener(socket);
    const result = await listen.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString(), "payload", "the header is not part of the data");
    assert.match(result.stderr, /^connection from 192\.0\.2\.1:56324 via 127\.0\.0\.1:\d+ \(PROXY v1\)$/m);
  } finally {
    await listen.stop("SIGKILL");
  }
});
