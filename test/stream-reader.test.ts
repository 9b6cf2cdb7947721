import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectionClosedError, TcpError } from "../src/core/errors.js";
import { StreamReader } from "../src/core/stream-reader.js";
import { rejection } from "./helpers/assertions.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

const chunk = { kind: "chunk" } as const;
const noTimeout = { timeoutMs: 0 };

function reader(flow: boolean[] = [], highWaterMark = 16): StreamReader {
  return new StreamReader({ highWaterMark, maxPendingReads: 4, onFlowChange: (f) => flow.push(f) });
}


describe("StreamReader", () => {
  it("serves a waiting read when bytes arrive", async () => {
    const r = reader();
    const read = r.read(chunk, noTimeout);
    r.push(Buffer.from("hi"));
    assert.equal((await read).toString(), "hi");
  });

  it("serves reads in order, each with what it asked for", async () => {
    const r = reader();
    const a = r.read({ kind: "exactly", length: 3 }, noTimeout);
    const b = r.read({ kind: "until", delimiter: Buffer.from("\n"), maxLength: 100 }, noTimeout);
    const c = r.read(chunk, noTimeout);
    r.push(Buffer.from("ab"));
    r.push(Buffer.from("cline\nrest"));
    assert.deepEqual((await Promise.all([a, b, c])).map(String), ["abc", "line\n", "rest"]);
  });

  it("a timed out read takes no bytes: a late chunk goes to the next read", async () => {
    const r = reader();
    const error = await rejection(r.read({ kind: "exactly", length: 4 }, { timeoutMs: 20 }));
    assert.equal(error.code, "ERR_READ_TIMEOUT");
    assert.equal(error.message, "Read timed out");
    r.push(Buffer.from("late"));
    assert.equal((await r.read({ kind: "exactly", length: 4 }, noTimeout)).toString(), "late");
  });

  it("an aborted read takes no bytes", async () => {
    const r = reader();
    r.push(Buffer.from("ab"));
    const controller = new AbortController();
    const read = r.read({ kind: "exactly", length: 3 }, { timeoutMs: 0, signal: controller.signal });
    controller.abort();
    assert.equal((await rejection(read)).code, "ERR_ABORTED");
    assert.equal(r.buffered, 2);
    assert.equal((await r.read(chunk, noTimeout)).toString(), "ab");
  });

  it("rejects a read whose signal already fired", async () => {
    assert.equal((await rejection(reader().read(chunk, { timeoutMs: 0, signal: AbortSignal.abort() }))).code, "ERR_ABORTED");
  });

  it("readUntil past maxLength rejects and keeps the bytes", async () => {
    const r = reader();
    const read = r.read({ kind: "until", delimiter: Buffer.from("\n"), maxLength: 5 }, noTimeout);
    r.push(Buffer.from("abc"));
    r.push(Buffer.from("def"));
    const error = await rejection(read);
    assert.equal(error.code, "ERR_MAX_LENGTH");
    assert.ok(!(error instanceof ConnectionClosedError));
    assert.equal((await r.read({ kind: "exactly", length: 6 }, noTimeout)).toString(), "abcdef");
  });

  it("readUntil finds a delimiter that ends exactly at maxLength", async () => {
    const r = reader();
    r.push(Buffer.from("abcd\n"));
    assert.equal((await r.read({ kind: "until", delimiter: Buffer.from("\n"), maxLength: 5 }, noTimeout)).toString(), "abcd\n");
  });

  it("after the peer's end, buffered bytes are still read, then the end error", async () => {
    const r = reader();
    r.push(Buffer.from("tail"));
    r.end(new ConnectionClosedError());
    assert.equal((await r.read(chunk, noTimeout)).toString(), "tail");
    assert.equal((await rejection(r.read(chunk, noTimeout))).message, "Connection closed by the server.");
  });

  it("an exact read the end cuts short rejects, and leaves the bytes", async () => {
    const r = reader();
    const read = r.read({ kind: "exactly", length: 10 }, noTimeout);
    r.push(Buffer.from("short"));
    r.end(new ConnectionClosedError());
    assert.equal((await rejection(read)).code, "ERR_CONNECTION_CLOSED");
    assert.equal((await r.read(chunk, noTimeout)).toString(), "short");
  });

  it("a local close rejects pending and later reads and drops the buffer", async () => {
    const r = reader();
    const pending = r.read({ kind: "exactly", length: 10 }, { timeoutMs: 10_000 });
    r.push(Buffer.from("x"));
    r.close(new TcpError("closed", { code: "ERR_SOCKET_CLOSED" }));
    assert.equal((await rejection(pending)).code, "ERR_SOCKET_CLOSED");
    assert.equal((await rejection(r.read(chunk, noTimeout))).code, "ERR_SOCKET_CLOSED");
    assert.equal(r.buffered, 0);
  });

  it("bounds the pending reads", async () => {
    const r = reader();
    const reads = [1, 2, 3, 4].map(() => r.read(chunk, noTimeout));
    assert.equal((await rejection(r.read(chunk, noTimeout))).code, "ERR_TOO_MANY_PENDING_READS");
    for (const _ of reads) r.push(Buffer.from("x"));
    assert.equal((await Promise.all(reads)).length, 4);
  });

  it("asks to pause at the high-water mark with no read waiting, and to resume when read", async () => {
    const flow: boolean[] = [];
    const r = reader(flow, 4);
    r.push(Buffer.from("ab"));
    assert.deepEqual(flow, []);
    r.push(Buffer.from("cd"));
    assert.deepEqual(flow, [false]);
    await r.read(chunk, noTimeout);
    assert.deepEqual(flow, [false, true]);
  });

  it("keeps reading past the high-water mark while an exact read needs more", async () => {
    const flow: boolean[] = [];
    const r = reader(flow, 4);
    const read = r.read({ kind: "exactly", length: 8 }, noTimeout);
    r.push(Buffer.from("abcdef"));
    assert.deepEqual(flow, []);
    r.push(Buffer.from("gh"));
    assert.equal((await read).toString(), "abcdefgh");
  });

  it("a deadline re-arms while bytes keep arriving for an exact read", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    // Node resets a test's mock timers when it ends; Deno does not (the next enable() would throw).
    try {
      const r = reader();
      let outcome = "pending";
      const read = r.read({ kind: "exactly", length: 3 }, { timeoutMs: 100 });
      read.then(() => (outcome = "done"), (e: TcpError) => (outcome = e.code));
      r.push(Buffer.from("x"));
      t.mock.timers.tick(100); // progress since arming: the deadline moves on
      r.push(Buffer.from("x"));
      t.mock.timers.tick(100); // progress again
      t.mock.timers.tick(100); // none for a whole period: time-out
      await read.catch(() => {});
      assert.equal(outcome, "ERR_READ_TIMEOUT");
      assert.equal(r.buffered, 2, "the bytes of the timed out read stay");
    } finally {
      t.mock.timers.reset();
    }
  });

  it("a chunk read times out after its period even if bytes came for nobody", async (t) => {
    t.mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const r = reader();
      const read = r.read(chunk, { timeoutMs: 50 });
      t.mock.timers.tick(50);
      assert.equal((await rejection(read)).code, "ERR_READ_TIMEOUT");
    } finally {
      t.mock.timers.reset();
    }
  });
});
