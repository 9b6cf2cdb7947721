/**
 * The writer's tracked path (writes the kernel does not take at once, and
 * every write on TLS): a write-back in flight is only its sink, and the
 * progress timer is never ref'd. These check what that must keep: every
 * write settles exactly once and in call order, a close settles what is in
 * flight at once and the callbacks that come later settle nothing again, and
 * a stalled write-back still times out.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { TcpError, WriteTimeoutError } from "../src/index.js";
import { SocketWriter, type WriteSink } from "../src/tcp/socket-writer.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pausedServer, rawClient, rawServer, readFully } from "./helpers/peers.js";

checkLeaksAfterEachTest();

/** A sink that records what each write-back heard, by its label. */
function recordingSink(heard: Array<[string, TcpError | undefined]>, label: string): WriteSink {
  return { writeSettled: (error) => heard.push([label, error]) };
}

const BIG = 8 * 1024 * 1024;

describe("SocketWriter tracked writes", () => {
  it("write-backs and promise writes in flight settle once each, in call order", async () => {
    const server = await pausedServer();
    const socket = await rawClient(server.port);
    const writer = new SocketWriter(socket, { writeTimeoutMs: 0, maxQueuedBytes: 1 << 30 });
    try {
      const heard: Array<[string, TcpError | undefined]> = [];
      const settledAt: string[] = [];
      const written: Array<Promise<void>> = [];
      for (let i = 0; i < 4; i++) {
        // A big write the paused peer cannot take: every write after it is tracked too.
        assert.equal(writer.writeFor(Buffer.alloc(BIG, i), recordingSink(heard, `back${i}`)), false);
        written.push(writer.write(Buffer.from(`tail${i}`)).then(() => void settledAt.push(`write${i}`)));
      }
      const peer = await server.accepted;
      const all = readFully(peer, 4 * BIG + 4 * 5);
      peer.resume();
      await Promise.all(written);
      await all;
      assert.deepEqual(heard, [0, 1, 2, 3].map((i) => [`back${i}`, undefined]));
      assert.deepEqual(settledAt, ["write0", "write1", "write2", "write3"]);
    } finally {
      writer.close();
      socket.destroy();
      await server.close();
    }
  });

  it("a close settles the writes in flight at once; their later callbacks settle nothing again", async () => {
    const server = await rawServer((socket) => socket.pause());
    const socket = await rawClient(server.port);
    const writer = new SocketWriter(socket, { writeTimeoutMs: 0, maxQueuedBytes: 1 << 30 });
    const heard: Array<[string, TcpError | undefined]> = [];
    const backs = ["a", "b", "c"];
    for (const label of backs) writer.writeFor(Buffer.alloc(BIG, 1), recordingSink(heard, label));
    const promised = writer.write(Buffer.alloc(BIG, 2));
    const closedBy = new TcpError("closed by the test", { code: "ERR_CONNECTION_CLOSED" });
    writer.close(closedBy);
    assert.deepEqual(heard, backs.map((label) => [label, closedBy]), "each heard the close at once");
    await assert.rejects(promised, (error) => error === closedBy);
    // The socket's own callbacks for those writes come now (destroyed, with or without an error).
    socket.destroy();
    await once(socket, "close");
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(heard.length, backs.length, "no write-back heard twice");
    await assert.rejects(writer.write("later"), (error) => error === closedBy);
    await server.close();
  });

  it("a stalled write-back still times out, without a ref'd timer", async () => {
    const server = await rawServer((socket) => socket.pause());
    const socket = await rawClient(server.port);
    const writer = new SocketWriter(socket, { writeTimeoutMs: 200, maxQueuedBytes: 1 << 30 });
    try {
      const heard: Array<[string, TcpError | undefined]> = [];
      const settled = new Promise<void>((resolve) =>
        writer.writeFor(Buffer.alloc(4 * BIG, 3), {
          writeSettled: (error) => {
            heard.push(["stalled", error]);
            resolve();
          },
        }),
      );
      await settled;
      assert.equal(heard.length, 1);
      assert.ok(heard[0]![1] instanceof WriteTimeoutError, `a WriteTimeoutError, got ${String(heard[0]![1])}`);
      assert.ok(socket.destroyed, "the socket is destroyed: an unknown prefix is on the wire");
    } finally {
      socket.destroy();
      await server.close();
    }
  });

  it("sliced mode (Bun, Deno): write-backs settle once each, also when a close fails the backlog", async () => {
    const server = await pausedServer();
    const socket = await rawClient(server.port);
    const writer = new SocketWriter(socket, { writeTimeoutMs: 0, maxQueuedBytes: 1 << 30, slices: true });
    try {
      const heard: Array<[string, TcpError | undefined]> = [];
      for (const label of ["a", "b"]) writer.writeFor(Buffer.alloc(BIG, 4), recordingSink(heard, label));
      const peer = await server.accepted;
      const all = readFully(peer, 2 * BIG);
      peer.resume();
      await all;
      while (heard.length < 2) await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(heard, [["a", undefined], ["b", undefined]]);
      peer.pause();
      for (const label of ["c", "d", "e"]) writer.writeFor(Buffer.alloc(BIG, 5), recordingSink(heard, label));
      const closedBy = new TcpError("closed by the test", { code: "ERR_CONNECTION_CLOSED" });
      writer.close(closedBy);
      assert.deepEqual(heard.slice(2), ["c", "d", "e"].map((label) => [label, closedBy]), "the backlog heard the close at once");
      socket.destroy();
      await once(socket, "close");
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(heard.length, 5, "no write-back heard twice");
    } finally {
      socket.destroy();
      await server.close();
    }
  });
});
