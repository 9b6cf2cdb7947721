/**
 * The read fast paths (issue 15) keep the contract: a waiting read's promise
 * is settled through a shared executor, so every read must still get its own
 * bytes; the `readExactly` request reused while the length repeats must not
 * skip the length check; reads without options share one options object; and
 * a read that waits must let a paused socket flow again.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Client, TcpError } from "../src/index.js";
import { StreamReader } from "../src/core/stream-reader.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer } from "./helpers/peers.js";

checkLeaksAfterEachTest();

describe("StreamReader waiting reads", () => {
  it("each waiting read resolves with its own bytes, in order, mixed with timed and aborted reads", async () => {
    const reader = new StreamReader({ highWaterMark: 1024, maxPendingReads: 16 });
    const aborter = new AbortController();
    const a = reader.read({ kind: "exactly", length: 2 }, { timeoutMs: 0 });
    const b = reader.read({ kind: "exactly", length: 3 }, { timeoutMs: 60_000 });
    const dropped = reader.read({ kind: "chunk" }, { timeoutMs: 0, signal: aborter.signal });
    const c = reader.read({ kind: "until", delimiter: Buffer.from("\n"), maxLength: 64 }, { timeoutMs: 0 });
    aborter.abort();
    await assert.rejects(dropped, (error: unknown) => error instanceof TcpError && error.code === "ERR_ABORTED");
    reader.push(Buffer.from("abcdeline\nrest"));
    assert.equal((await a).toString(), "ab");
    assert.equal((await b).toString(), "cde");
    assert.equal((await c).toString(), "line\n");
    assert.equal(reader.buffered, 4);
    reader.close(new TcpError("closed"));
  });

  it("a read that waits resumes a socket paused at the high-water mark", () => {
    const flow: boolean[] = [];
    const reader = new StreamReader({ highWaterMark: 4, maxPendingReads: 4, onFlowChange: (on) => flow.push(on) });
    reader.push(Buffer.from("12345678"));
    assert.deepEqual(flow, [false]);
    const read = reader.read({ kind: "exactly", length: 16 }, { timeoutMs: 0 });
    assert.deepEqual(flow, [false, true]);
    reader.push(Buffer.from("abcdefgh"));
    reader.close(new TcpError("closed"));
    return read.then((bytes) => assert.equal(bytes.toString(), "12345678abcdefgh"));
  });
});

describe("Client reads", () => {
  it("readExactly checks every new length, also after a valid one repeated", async () => {
    const server = await rawServer((socket) => socket.on("data", (chunk: Buffer) => socket.write(chunk)));
    const client = await Client.connect("127.0.0.1", server.port);
    try {
      for (const word of ["abcd", "efgh", "ij", "klmn"]) {
        await client.writeBytes(word);
        assert.equal(Buffer.from(await client.readExactly(word.length)).toString(), word);
      }
      for (const bad of [-1, 1.5, Number.NaN, 2 ** 31, "4" as unknown as number]) {
        await assert.rejects(client.readExactly(bad), (error: unknown) => error instanceof TcpError && error.code === "ERR_INVALID_ARGUMENT");
      }
      assert.equal((await client.readExactly(0)).length, 0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("read options: none, empty, a signal, and bad values", async () => {
    const server = await rawServer((socket) => socket.on("data", (chunk: Buffer) => socket.write(chunk)));
    const client = await Client.connect("127.0.0.1", server.port);
    try {
      await client.writeBytes("abc");
      assert.equal(Buffer.from(await client.readExactly(1)).toString(), "a");
      assert.equal(Buffer.from(await client.readExactly(1, {})).toString(), "b");
      assert.equal(Buffer.from(await client.readExactly(1, { signal: new AbortController().signal })).toString(), "c");
      const invalid = (error: unknown): boolean => error instanceof TcpError && error.code === "ERR_INVALID_ARGUMENT";
      await assert.rejects(client.readBytes(null as never), invalid);
      await assert.rejects(client.readBytes(5 as never), invalid);
      await assert.rejects(client.readExactly(1, { signal: "x" as never }), invalid);
      await assert.rejects(client.readBytes({ signal: AbortSignal.abort() }), (error: unknown) => error instanceof TcpError);
      await client.writeBytes("z");
      assert.equal(Buffer.from(await client.readBytes()).toString(), "z");
    } finally {
      await client.close();
      await server.close();
    }
  });
});
