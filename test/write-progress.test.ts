/**
 * The write time-out counts what the kernel takes, on every runtime: Node's
 * socket handle reports the unsent part of a write, Bun's and Deno's do not
 * (there writes go out a slice at a time). These tests hold on all three:
 * a slow but steady reader never trips the time-out, a stalled one does,
 * and a FIN (half-close, a listener's close) never overtakes bytes still
 * waiting to go out.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Client, WriteTimeoutError } from "../src/index.js";
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
