/**
 * The fast paths added for performance keep the contract: writes the kernel
 * takes at once resolve in call order, slow writes still wait and time out,
 * one shared read timer still times out every read, and whole chunks are
 * handed out without a copy.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { ByteQueue } from "../src/core/byte-queue.js";
import { Client, Listener, ReadTimeoutError, TcpError, WriteTimeoutError } from "../src/index.js";
import { StreamReader } from "../src/core/stream-reader.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pausedServer, rawClient, rawServer, readFully } from "./helpers/peers.js";

checkLeaksAfterEachTest();

describe("Client writes", () => {
  it("resolve in call order and deliver every byte in order", async () => {
    const received: Buffer[] = [];
    const server = await rawServer((socket) => socket.on("data", (chunk: Buffer) => received.push(chunk)));
    const client = await Client.connect("127.0.0.1", server.port);
    try {
      const order: number[] = [];
      const writes = Array.from({ length: 200 }, (_, i) =>
        client.writeBytes(`${i},`).then(() => order.push(i)),
      );
      await Promise.all(writes);
      assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i));
      const expected = Array.from({ length: 200 }, (_, i) => `${i},`).join("");
      while (Buffer.concat(received).length < expected.length) await once(server.sockets.values().next().value!, "data");
      assert.equal(Buffer.concat(received).toString(), expected);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a write the kernel cannot take waits, and a later small write resolves after it", async () => {
    const server = await pausedServer();
    const client = await Client.connect("127.0.0.1", server.port, { writeTimeout: 0 });
    try {
      const big = Buffer.alloc(32 * 1024 * 1024, 1);
      const order: string[] = [];
      const first = client.writeBytes(big).then(() => order.push("big"));
      const second = client.writeBytes("tail").then(() => order.push("tail"));
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(order, [], "nothing resolves while the peer reads nothing");
      const peer = await server.accepted;
      const all = readFully(peer, big.length + 4);
      peer.resume();
      await Promise.all([first, second]);
      assert.deepEqual(order, ["big", "tail"]);
      assert.equal((await all).subarray(-4).toString(), "tail");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a stalled write still times out", async () => {
    const server = await rawServer((socket) => socket.pause());
    const client = await Client.connect("127.0.0.1", server.port, { writeTimeout: 0.2 });
    try {
      await assert.rejects(client.writeBytes(Buffer.alloc(32 * 1024 * 1024, 2)), WriteTimeoutError);
      await assert.rejects(client.writeBytes("more"), TcpError);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe("Client write errors", () => {
  it("writes to a peer that reset the connection reject, none hangs", async () => {
    const server = await rawServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    const client = await Client.connect("127.0.0.1", server.port);
    try {
      await client.writeBytes("x");
      let rejected: unknown;
      for (let i = 0; i < 1000 && rejected === undefined; i++) {
        try {
          await client.writeBytes(Buffer.alloc(64 * 1024, 3));
        } catch (error) {
          rejected = error;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(rejected instanceof TcpError, `a write rejects with a TcpError, got ${String(rejected)}`);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe("Listener write-backs", () => {
  it("echo many chunks back in order", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    listener.attach({ onConnect: () => ({ onBytes: (data) => data }) });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    try {
      const sent = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < sent.length; i++) sent[i] = i % 251;
      const echoed = readFully(socket, sent.length);
      socket.write(sent);
      assert.ok((await echoed).equals(sent));
    } finally {
      socket.destroy();
      await listener.immediateStop();
    }
  });

  it("a write-back to a peer that reset the connection reaches onError, and onClose runs", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    const errors: TcpError[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const handling = new Promise<void>((resolve) => (entered = resolve));
    let closed!: () => void;
    const onClose = new Promise<void>((resolve) => (closed = resolve));
    listener.attach({
      onConnect: () => ({
        onBytes: async (data) => {
          entered();
          await released;
          return data;
        },
        onError: (error) => void errors.push(error),
        onClose: () => closed(),
      }),
    });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    try {
      socket.write("hello");
      await handling;
      socket.resetAndDestroy();
      await once(socket, "close");
      release();
      await onClose;
      assert.ok(errors.length > 0 && errors.every((error) => error instanceof TcpError), `got ${errors.map((e) => e.code).join(", ")}`);
    } finally {
      await listener.immediateStop();
    }
  });
});

describe("Listener per-connection bookkeeping", () => {
  for (const [bind, connectTo] of [["127.0.0.1", "127.0.0.1"], ["::1", "::1"], [undefined, "127.0.0.1"]] as const) {
    it(`Caller addresses match the peer's view (listener on ${bind ?? "all interfaces"})`, async () => {
      const listener = new Listener(0, bind === undefined ? {} : { localHost: bind });
      let seen: { localHost: string; localPort: number; remoteHost: string; remotePort: number } | undefined;
      let closed!: () => void;
      const onClose = new Promise<void>((resolve) => (closed = resolve));
      listener.attach({
        onConnect: (caller) => {
          seen = { localHost: caller.localHost, localPort: caller.localPort, remoteHost: caller.remoteHost, remotePort: caller.remotePort };
          return { onClose: () => closed() };
        },
      });
      await listener.start();
      const socket = await rawClient(listener.localPort, connectTo);
      try {
        while (seen === undefined) await new Promise((resolve) => setImmediate(resolve));
        assert.equal(listener.connectionCount, 1);
        // A dual-stack wildcard listener sees IPv4 peers as IPv4-mapped IPv6 addresses.
        const unmapped = (host: string): string => host.replace(/^::ffff:/, "");
        assert.deepEqual({ ...seen, localHost: unmapped(seen.localHost), remoteHost: unmapped(seen.remoteHost) }, {
          localHost: socket.remoteAddress,
          localPort: socket.remotePort,
          remoteHost: socket.localAddress,
          remotePort: socket.localPort,
        });
        socket.end();
        await onClose;
        const open = (): number => listener.connectionCount;
        while (open() !== 0) await new Promise((resolve) => setImmediate(resolve));
      } finally {
        socket.destroy();
        await listener.gracefulStop();
      }
    });
  }
});

describe("read deadlines on one shared timer", () => {
  it("a read after a completed read still times out, and no byte is lost", async () => {
    const server = await rawServer((socket) => socket.on("data", (chunk: Buffer) => socket.write(chunk)));
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 0.15 });
    try {
      await client.writeBytes("ping");
      assert.equal(Buffer.from(await client.readExactly(4)).toString(), "ping");
      await assert.rejects(client.readBytes(), ReadTimeoutError);
      await client.writeBytes("pong");
      assert.equal(Buffer.from(await client.readExactly(4)).toString(), "pong");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a later read with a shorter time-out fires first; the earlier one still waits", async () => {
    const reader = new StreamReader({ highWaterMark: 1024, maxPendingReads: 8 });
    const long = reader.read({ kind: "exactly", length: 4 }, { timeoutMs: 5_000 });
    const short = reader.read({ kind: "exactly", length: 2 }, { timeoutMs: 30 });
    await assert.rejects(short, ReadTimeoutError);
    assert.equal(reader.pendingReads, 1);
    reader.push(Buffer.from("abcd"));
    assert.equal((await long).toString(), "abcd");
    reader.close(new TcpError("closed"));
  });

  it("every pending read gets its own deadline", async () => {
    const reader = new StreamReader({ highWaterMark: 1024, maxPendingReads: 8 });
    const reads = [10, 20, 30].map((ms) => reader.read({ kind: "chunk" }, { timeoutMs: ms }));
    for (const read of reads) await assert.rejects(read, ReadTimeoutError);
    assert.equal(reader.pendingReads, 0);
  });

  it("closing the reader leaves no timer behind", async () => {
    const reader = new StreamReader({ highWaterMark: 1024, maxPendingReads: 8 });
    const read = reader.read({ kind: "chunk" }, { timeoutMs: 60_000 });
    reader.push(Buffer.from("x"));
    assert.equal((await read).toString(), "x");
    reader.close(new TcpError("closed"));
    await assert.rejects(reader.read({ kind: "chunk" }, { timeoutMs: 60_000 }), TcpError);
  });
});

describe("ByteQueue zero copy", () => {
  it("hands out a whole head chunk as the same buffer", () => {
    const queue = new ByteQueue();
    const chunk = Buffer.from("hello");
    queue.push(chunk);
    assert.equal(queue.take(5), chunk);
    queue.push(Buffer.from("abcdef"));
    const part = queue.take(2);
    assert.equal(part.toString(), "ab");
    assert.equal(queue.take(4).toString(), "cdef");
    assert.equal(queue.length, 0);
  });
});
