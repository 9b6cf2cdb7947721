/**
 * Adversarial tests of the TCP client: close() racing pending reads, writes
 * and a half-close; peers that reset while everything is pending; connects
 * aborted at random moments. Every promise must settle, with a TcpError when
 * it fails, and nothing may be left open.
 */
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { Client, TcpError } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer } from "./helpers/peers.js";

checkLeaksAfterEachTest();

/** How a promise ended: its value, or the TcpError it rejected with (anything else fails the test). */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: TcpError };

async function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    assert.ok(error instanceof TcpError, `rejected with a non-TcpError: ${String(error)}`);
    return { ok: false, error };
  }
}

/** Every promise in `promises` settles within `ms` (a ref'd timer, so a hang fails instead of ending the run). */
async function allSettleWithin<T>(promises: Promise<T>[], ms: number): Promise<T[]> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms)));
  try {
    return await Promise.race([Promise.all(promises), hung]);
  } finally {
    clearTimeout(timer);
  }
}

describe("Client under adversarial use", () => {
  it("close() settles every pending read, write and half-close with 'Socket connection already closed.'", async () => {
    const server = await rawServer((socket) => socket.pause()); // never reads, never writes
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 0, writeTimeout: 0 });
    const big = Buffer.alloc(16 * 1024 * 1024, 7);
    const pending: Promise<Outcome<unknown>>[] = [
      outcome(client.readBytes()),
      outcome(client.readExactly(100)),
      outcome(client.readUntil("\n")),
      outcome(client.writeBytes(big)),
      outcome(client.writeBytes("after the big one")),
      outcome(client.shutdownWrite()),
      outcome(client.readBytes()),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    const closing = [client.close(), client.close()];
    const results = await allSettleWithin(pending, 3_000);
    await allSettleWithin(closing, 3_000);
    for (const [i, result] of results.entries()) {
      assert.equal(result.ok, false, `operation ${i} succeeded although the connection was closed under it`);
      if (!result.ok) assert.equal(result.error.message, "Socket connection already closed.", `operation ${i}: ${result.error.message}`);
    }
    for (const late of [client.readBytes(), client.writeBytes("late"), client.shutdownWrite()] as Promise<unknown>[]) {
      const result = await outcome(late);
      assert.equal(result.ok, false);
      if (!result.ok) assert.equal(result.error.message, "Socket connection already closed.");
    }
    await server.close();
  });

  it("a peer reset settles every pending read and write with a TcpError; a write cut off by it never resolves", async () => {
    const server = await rawServer((socket) => socket.pause()); // takes no byte: the kernel holds a few MiB at most
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 0, writeTimeout: 0 });
    const pending: Promise<Outcome<unknown>>[] = [
      outcome(client.readExactly(10)),
      outcome(client.readUntil("x")),
      outcome(client.writeBytes(Buffer.alloc(32 * 1024 * 1024))),
      outcome(client.writeBytes("second")),
    ];
    while (server.sockets.size === 0) await new Promise((resolve) => setImmediate(resolve));
    for (const socket of server.sockets) socket.resetAndDestroy();
    const results = await allSettleWithin(pending, 3_000);
    for (const [i, result] of results.entries()) assert.equal(result.ok, false, `operation ${i} succeeded although the peer reset`);
    await client.close();
    await server.close();
  });

  it("a write to a peer that reads slowly but steadily does not time out while bytes keep moving", async () => {
    // The peer takes at most one socket read (<= 64 KiB) per 5 ms: the 16 MiB take over a second,
    // more than the 0.5 s write time-out, but some bytes move every few milliseconds.
    let received = 0;
    const server = await rawServer((socket) => {
      socket.on("data", (chunk: Buffer) => {
        received += chunk.length;
        socket.pause();
        setTimeout(() => socket.resume(), 5);
      });
    });
    const client = await Client.connect("127.0.0.1", server.port, { writeTimeout: 0.5 });
    const size = 16 * 1024 * 1024;
    const written = await outcome(client.writeBytes(Buffer.alloc(size, 1)));
    assert.ok(written.ok, written.ok ? "" : `${written.error.message} after ${received} of ${size} bytes reached the peer`);
    await client.close();
    await server.close();
  });

  it("connects aborted at random moments either connect or reject with ERR_ABORTED, leaving nothing open", async () => {
    const server = await rawServer(() => {});
    const results = await allSettleWithin(
      Array.from({ length: 60 }, async (_, i) => {
        const controller = new AbortController();
        if (i % 3 === 0) controller.abort();
        const timer = i % 3 === 1 ? setTimeout(() => controller.abort(), i % 4) : undefined;
        if (i % 3 === 2) queueMicrotask(() => controller.abort());
        const result = await outcome(Client.connect("127.0.0.1", server.port, { signal: controller.signal }));
        clearTimeout(timer);
        if (result.ok) await result.value.close();
        else assert.equal(result.error.code, "ERR_ABORTED", result.error.message);
        return result.ok;
      }),
      5_000,
    );
    assert.equal(results.filter((ok) => ok).length <= 60, true);
    await server.close();
  });

  it("a closed peer mid-iteration ends `for await` after every byte it sent", async () => {
    const payload = Buffer.alloc(300_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) % 256;
    const server = await rawServer((socket) => {
      let offset = 0;
      const next = (): void => {
        if (offset >= payload.length) {
          socket.end();
          return;
        }
        const size = 1 + ((offset * 31) % 9000);
        socket.write(payload.subarray(offset, offset + size), next);
        offset += size;
      };
      next();
    });
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5, highWaterMark: 4096 });
    const chunks: Buffer[] = [];
    for await (const chunk of client) chunks.push(Buffer.from(chunk));
    assert.equal(Buffer.compare(Buffer.concat(chunks), payload), 0);
    await client.close();
    await server.close();
  });

  it("a peer that accepts and immediately resets gives a TcpError to the first read, never an unhandled error", async () => {
    const server = net.createServer((socket) => socket.resetAndDestroy());
    server.listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as net.AddressInfo).port;
    for (let i = 0; i < 20; i++) {
      const connected = await outcome(Client.connect("127.0.0.1", port, { timeout: 2 }));
      if (!connected.ok) continue; // the reset can beat the connect
      const read = await outcome(connected.value.readBytes());
      assert.equal(read.ok, false);
      await connected.value.close();
    }
    await new Promise((resolve) => server.close(resolve));
  });
});
