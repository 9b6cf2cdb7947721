import assert from "node:assert/strict";
import { once } from "node:events";
import type net from "node:net";
import { describe, it } from "node:test";
import { Client, ConnectError, ConnectionClosedError, ReadTimeoutError, TcpError, WriteTimeoutError } from "../src/index.js";
import { rejection } from "./helpers/assertions.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { destroyed, rawServer, readFully, readToEnd } from "./helpers/peers.js";

checkLeaksAfterEachTest();


/** A raw echo server. */
function echoServer(): ReturnType<typeof rawServer> {
  return rawServer((socket) => socket.pipe(socket));
}

describe("Client", () => {
  it("echoes through a raw server (Ballerina: testClientEcho)", async () => {
    const server = await echoServer();
    const client = await Client.connect("localhost", server.port, { timeout: 5, writeTimeout: 5 });
    await client.writeBytes("Hello Ballerina");
    assert.equal(Buffer.from(await client.readExactly(15)).toString(), "Hello Ballerina");
    await client.close();
    await server.close();
  });

  it("reports the addresses of the connection", async () => {
    const server = await echoServer();
    const client = await Client.connect("127.0.0.1", server.port);
    assert.equal(client.remoteHost, "127.0.0.1");
    assert.equal(client.remotePort, server.port);
    assert.equal(client.localHost, "127.0.0.1");
    assert.ok(client.localPort > 0);
    await client.close();
    await server.close();
  });

  it("connects over IPv6 loopback", async () => {
    const server = await rawServer((socket) => socket.end("v6"));
    // rawServer binds 127.0.0.1; a v6 server is made here by hand.
    await server.close();
    const { default: netModule } = await import("node:net");
    const v6 = netModule.createServer((socket) => socket.end("v6"));
    v6.listen(0, "::1");
    await once(v6, "listening");
    const client = await Client.connect("::1", (v6.address() as net.AddressInfo).port);
    assert.equal(client.remoteHost, "::1");
    assert.equal(Buffer.from(await client.readBytes()).toString(), "v6");
    await client.close();
    await new Promise((resolve) => v6.close(resolve));
  });

  it("times out a read with 'Read timed out' and keeps the connection (Ballerina: testReadTimeout)", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 0.05 });
    const error = await rejection(client.readBytes());
    assert.ok(error instanceof ReadTimeoutError);
    assert.equal(error.message, "Read timed out");
    // Still open: a late chunk arrives and is delivered to the next read.
    const [peer] = server.sockets;
    peer!.write("late chunk");
    assert.equal(Buffer.from(await client.readBytes()).toString(), "late chunk");
    await client.close();
    await server.close();
  });

  it("fails a read on a closed peer with 'Connection closed by the server.' (Ballerina: testServerAlreadyClosed)", async () => {
    const server = await rawServer((socket) => socket.end());
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    const error = await rejection(client.readBytes());
    assert.ok(error instanceof ConnectionClosedError);
    assert.equal(error.message, "Connection closed by the server.");
    await client.close();
    await server.close();
  });

  it("refuses an invalid local interface at connect (Ballerina: testInvalidLocalHost)", async () => {
    const server = await echoServer();
    const error = await rejection(Client.connect("127.0.0.1", server.port, { localHost: "invalid.host.invalid" }));
    assert.ok(error instanceof ConnectError);
    assert.match(error.message, /^Unable to connect with remote host: invalid local interface 'invalid.host.invalid'/);
    await server.close();
  });

  it("binds the given local interface", async () => {
    const server = await echoServer();
    const client = await Client.connect("127.0.0.1", server.port, { localHost: "127.0.0.1" });
    assert.equal(client.localHost, "127.0.0.1");
    await client.close();
    await server.close();
  });

  it("gives ConnectError for a refused connection and for a bad port", async () => {
    const server = await echoServer();
    const port = server.port;
    await server.close();
    const refused = await rejection(Client.connect("127.0.0.1", port));
    assert.ok(refused instanceof ConnectError);
    assert.match(refused.message, /^Unable to connect with remote host: .*ECONNREFUSED/);
    const bad = await rejection(Client.connect("127.0.0.1", 70000));
    assert.ok(bad instanceof ConnectError);
    assert.match(bad.message, /port must be an integer from 1 to 65535, got 70000/);
    const badTimeout = await rejection(Client.connect("127.0.0.1", 1, { timeout: -1 }));
    assert.equal(badTimeout.code, "ERR_INVALID_ARGUMENT");
  });

  it("aborts a connect with an AbortSignal", async () => {
    const error = await rejection(Client.connect("127.0.0.1", 9, { signal: AbortSignal.abort() }));
    assert.equal(error.code, "ERR_ABORTED");
  });

  it("rejects a read pending at close() with 'Socket connection already closed.'", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port);
    const pending = rejection(client.readBytes());
    await client.close();
    const error = await pending;
    assert.equal(error.message, "Socket connection already closed.");
    assert.equal((await rejection(client.readBytes())).message, "Socket connection already closed.");
    assert.equal((await rejection(client.writeBytes("x"))).message, "Socket connection already closed.");
    await client.close(); // idempotent
    await server.close();
  });

  it("reads exactly n bytes and up to a delimiter across chunk boundaries", async () => {
    const server = await rawServer((socket) => {
      socket.write("HEAD");
      setImmediate(() => socket.write("ER\r"));
      setImmediate(() => setImmediate(() => socket.end("\nbody")));
    });
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    assert.equal(Buffer.from(await client.readExactly(6)).toString(), "HEADER");
    assert.equal(Buffer.from(await client.readUntil("\r\n")).toString(), "\r\n");
    const rest: string[] = [];
    for await (const chunk of client) rest.push(Buffer.from(chunk).toString());
    assert.equal(rest.join(""), "body");
    await client.close();
    await server.close();
  });

  it("readUntil past maxLength fails with ERR_MAX_LENGTH and the bytes stay readable", async () => {
    const server = await rawServer((socket) => socket.write("0123456789"));
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    await client.readExactly(1);
    const badDelimiter = rejection(client.readUntil(42 as unknown as string));
    assert.equal((await badDelimiter).code, "ERR_INVALID_ARGUMENT");
    const error = await rejection(client.readUntil("\n", { maxLength: 9 }));
    assert.equal(error.code, "ERR_MAX_LENGTH");
    assert.equal(Buffer.from(await client.readExactly(9)).toString(), "123456789");
    await client.close();
    await server.close();
  });

  it("an aborted read leaves its bytes for the next read", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    const controller = new AbortController();
    const read = client.readExactly(4, { signal: controller.signal });
    const [peer] = server.sockets;
    peer!.write("ab");
    controller.abort();
    assert.equal((await rejection(read)).code, "ERR_ABORTED");
    peer!.write("cd");
    assert.equal(Buffer.from(await client.readExactly(4)).toString(), "abcd");
    await client.close();
    await server.close();
  });

  it("writes concurrent calls in call order", async () => {
    let received: Promise<Buffer> | undefined;
    const server = await rawServer((socket) => (received = readToEnd(socket)));
    const client = await Client.connect("127.0.0.1", server.port);
    const parts = Array.from({ length: 200 }, (_, i) => `${i};`);
    await Promise.all(parts.map((part) => client.writeBytes(part)));
    await client.shutdownWrite();
    assert.equal((await received!).toString(), parts.join(""));
    await client.close();
    await server.close();
  });

  it("half-closes with shutdownWrite and still reads the reply", async () => {
    const server = await rawServer(
      (socket) => {
        readToEnd(socket).then((all) => socket.end(`got ${all.length}`));
      },
      { allowHalfOpen: true },
    );
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    await client.writeBytes("12345");
    await client.shutdownWrite();
    assert.equal(Buffer.from(await client.readBytes()).toString(), "got 5");
    await client.close();
    await server.close();
  });

  it("gives 'Write timed out' to a writer whose peer never reads, with bounded memory", async () => {
    const server = await rawServer((socket) => socket.pause());
    const client = await Client.connect("127.0.0.1", server.port, { writeTimeout: 0.2 });
    const block = Buffer.alloc(256 * 1024, 1);
    const rssBefore = process.memoryUsage().rss;
    let written = 0;
    let error: unknown;
    try {
      for (let i = 0; i < 10_000; i++) {
        await client.writeBytes(block);
        written += block.length;
      }
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof WriteTimeoutError, `expected WriteTimeoutError, got ${String(error)}`);
    assert.equal(error.message, "Write timed out");
    // The kernel buffers took what they could; nothing piled up in user space.
    assert.ok(written < 200 * 1024 * 1024, `wrote ${written} bytes into a peer that never reads`);
    assert.ok(process.memoryUsage().rss - rssBefore < 128 * 1024 * 1024, "memory grew without bound");
    assert.equal((await rejection(client.writeBytes("x"))).code, "ERR_WRITE_TIMEOUT");
    assert.equal((await rejection(client.readBytes())).code, "ERR_WRITE_TIMEOUT", "reads tell why the connection ended");
    await client.close();
    await server.close();
  });

  it("stops reading from a fast peer when nobody reads, then resumes losing nothing", async () => {
    const total = 8 * 1024 * 1024;
    let peer: net.Socket | undefined;
    let peerDone: Promise<void> | undefined;
    const server = await rawServer((socket) => {
      peer = socket;
      peerDone = new Promise((resolve) => socket.end(Buffer.alloc(total, 7), () => resolve()));
    });
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5, highWaterMark: 64 * 1024 });
    // Wait until the peer is blocked: its user-space buffer holds bytes the client did not take.
    while (peer === undefined || peer.writableLength === 0) await new Promise((r) => setImmediate(r));
    const data = await client.readExactly(total);
    assert.equal(data.length, total);
    assert.ok(Buffer.from(data).every((b) => b === 7));
    await peerDone;
    await client.close();
    await server.close();
  });

  it("closes with `await using`", async () => {
    const server = await rawServer(() => {});
    let closedAtPeer: Promise<unknown> | undefined;
    {
      await using client = await Client.connect("127.0.0.1", server.port);
      const [peer] = server.sockets;
      closedAtPeer = once(peer!, "close");
      assert.ok(client.localPort > 0);
    }
    await closedAtPeer;
    await server.close();
  });

  it("reports a reset by the peer as a TcpError on read", async () => {
    const server = await rawServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    await client.writeBytes("reset me");
    const error = await rejection(client.readBytes());
    assert.ok(["ERR_SOCKET", "ERR_CONNECTION_CLOSED"].includes(error.code), error.code);
    await client.close();
    await server.close();
  });

  it("a closed peer ends async iteration quietly", async () => {
    const server = await rawServer((socket) => socket.end("last"));
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    const chunks: string[] = [];
    for await (const chunk of client) chunks.push(Buffer.from(chunk).toString());
    assert.deepEqual(chunks, ["last"]);
    await client.close();
    await server.close();
    void destroyed;
    void readFully;
  });
});
