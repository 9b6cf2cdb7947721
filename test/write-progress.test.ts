/**
 * The write time-out counts what the kernel takes, on every runtime: Node's
 * socket handle reports the unsent part of a write, Bun's and Deno's do not
 * (there writes go out a slice at a time). These tests hold on all three:
 * a slow but steady reader never trips the time-out, a stalled one does,
 * and a FIN (half-close, a listener's close) never overtakes bytes still
 * waiting to go out.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import { Client, TcpError, WriteTimeoutError } from "../src/index.js";
import { SLICE_BYTES, SocketWriter } from "../src/tcp/socket-writer.js";
import { rejection } from "./helpers/assertions.js";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { startListener } from "./helpers/listeners.js";
import { destroyed, rawClient, rawServer, readToEnd } from "./helpers/peers.js";

checkLeaksAfterEachTest();

/** Bytes where byte i is i mod 251, so a lost or reordered slice shows. */
function pattern(size: number, from = 0): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (from + i) % 251;
  return bytes;
}

describe("write progress", () => {
  it("a reader taking one chunk per 20 ms keeps a large write alive (writeTimeout 1 s)", async () => {
    const size = 8 * 1024 * 1024;
    const received = deferred<Buffer>();
    const server = await rawServer((socket) => {
      const chunks: Buffer[] = [];
      let total = 0;
      socket.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        total += chunk.length;
        if (total >= size) return received.resolve(Buffer.concat(chunks));
        socket.pause();
        setTimeout(() => socket.resume(), 20);
      });
    });
    const client = await Client.connect("127.0.0.1", server.port, { writeTimeout: 1 });
    const data = pattern(size);
    await client.writeBytes(data);
    assert.ok((await received.promise).equals(data));
    await client.close();
    await server.close();
  });

  it("a peer that reads nothing still trips the time-out, and later writes say why", async () => {
    const server = await rawServer((socket) => socket.pause());
    const client = await Client.connect("127.0.0.1", server.port, { writeTimeout: 0.2 });
    const error = await rejection(client.writeBytes(Buffer.alloc(64 * 1024 * 1024 - 1)));
    assert.ok(error instanceof WriteTimeoutError, error.message);
    assert.ok((await rejection(client.writeBytes("more"))) instanceof WriteTimeoutError);
    await client.close();
    await server.close();
  });

  it("shutdownWrite after writes that are not awaited: the peer gets every byte, in order, then the end", async () => {
    const received = deferred<Buffer>();
    const server = await rawServer((socket) => void readToEnd(socket).then(received.resolve), { allowHalfOpen: true });
    const client = await Client.connect("127.0.0.1", server.port);
    const first = pattern(3 * 1024 * 1024);
    const second = pattern(100_000, first.length);
    const writes = [client.writeBytes(first), client.writeBytes(second), client.writeBytes("end")];
    await client.shutdownWrite();
    await Promise.all(writes);
    assert.ok((await received.promise).equals(Buffer.concat([first, second, Buffer.from("end")])));
    await client.close();
    await server.close();
  });

  it("a listener's caller.close() after a large write that is not awaited: the peer gets it all, then the end", async () => {
    const reply = pattern(2 * 1024 * 1024);
    const listener = await startListener({
      onConnect: (caller) => ({
        onBytes() {
          void caller.writeBytes(reply);
          void caller.close();
        },
      }),
    });
    const socket = await rawClient(listener.localPort);
    const all = readToEnd(socket);
    socket.write("go");
    assert.ok((await all).equals(reply));
    await destroyed(socket);
    await listener.gracefulStop();
  });
});

/*
 * The sliced path (what Bun and Deno take) forced on whatever runtime runs the
 * suite, so Node's run checks it too.
 */
describe("SocketWriter in slices", () => {
  async function connected(onSocket: (socket: net.Socket) => void): Promise<{ socket: net.Socket; close(): Promise<void> }> {
    const server = await rawServer(onSocket, { allowHalfOpen: true });
    const socket = net.connect({ port: server.port, host: "127.0.0.1" });
    socket.on("error", () => {});
    await once(socket, "connect");
    return {
      socket,
      async close() {
        socket.destroy();
        await server.close();
      },
    };
  }

  it("concurrent writes arrive whole and in call order, then the FIN after them", async () => {
    const received = deferred<Buffer>();
    const { socket, close } = await connected((peer) => void readToEnd(peer).then(received.resolve));
    const writer = new SocketWriter(socket, { writeTimeoutMs: 5_000, maxQueuedBytes: 64 * 1024 * 1024, slices: true });
    const parts = [pattern(1_000_000), pattern(10, 7), pattern(SLICE_BYTES * 3 + 1, 3), pattern(1, 9)];
    const writes = parts.map((part) => writer.write(part));
    const ended = new Promise<void>((resolve, reject) => writer.end((error) => (error ? reject(error) : resolve())));
    await Promise.all([...writes, ended]);
    assert.ok((await received.promise).equals(Buffer.concat(parts)));
    writer.close();
    await close();
  });

  it("a slow but steady reader keeps a large write alive; a stalled one times it out", async () => {
    let reading = true;
    const { socket, close } = await connected((peer) => {
      peer.on("data", () => {
        peer.pause();
        if (reading) setTimeout(() => peer.resume(), 5);
      });
    });
    const writer = new SocketWriter(socket, { writeTimeoutMs: 300, maxQueuedBytes: 64 * 1024 * 1024, slices: true });
    await writer.write(Buffer.alloc(8 * 1024 * 1024));
    reading = false;
    const error = await rejection(writer.write(Buffer.alloc(32 * 1024 * 1024)));
    assert.ok(error instanceof WriteTimeoutError, error.message);
    assert.ok((await rejection(writer.write("more"))) instanceof WriteTimeoutError);
    await close();
  });

  it("close() rejects the writes still waiting for their slices, and a waiting end", async () => {
    const { socket, close } = await connected((peer) => peer.pause());
    const writer = new SocketWriter(socket, { writeTimeoutMs: 0, maxQueuedBytes: 64 * 1024 * 1024, slices: true });
    const big = writer.write(Buffer.alloc(16 * 1024 * 1024));
    const small = writer.write("after");
    const ended = new Promise<unknown>((resolve) => writer.end(resolve));
    writer.close();
    assert.equal((await rejection(big)).message, "Socket connection already closed.");
    assert.equal((await rejection(small)).message, "Socket connection already closed.");
    assert.ok((await ended) instanceof TcpError);
    await close();
  });
});
