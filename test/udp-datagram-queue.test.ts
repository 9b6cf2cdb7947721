/**
 * The pure receive queue of the UDP module: order, deadlines, aborts, bounds
 * and errors, without sockets.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TcpError } from "../src/core/errors.js";
import { DatagramQueue } from "../src/udp/datagram-queue.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

function queue(maxQueued = 8, maxPendingReceives = 8): DatagramQueue<string> {
  return new DatagramQueue<string>({
    maxQueued,
    maxPendingReceives,
    timeoutError: () => new TcpError("Read timed out", { code: "ERR_READ_TIMEOUT" }),
  });
}

describe("DatagramQueue", () => {
  it("hands out queued items in arrival order, then serves waiting receives in call order", async () => {
    const q = queue();
    q.push("a");
    q.push("b");
    assert.equal(await q.receive({ timeoutMs: 0 }), "a");
    assert.equal(await q.receive({ timeoutMs: 0 }), "b");
    const first = q.receive({ timeoutMs: 0 });
    const second = q.receive({ timeoutMs: 0 });
    assert.equal(q.pendingReceives, 2);
    q.push("c");
    q.push("d");
    assert.deepEqual(await Promise.all([first, second]), ["c", "d"]);
  });

  it("a receive that times out takes nothing: the next item goes to the next receive", async () => {
    const q = queue();
    await assert.rejects(q.receive({ timeoutMs: 5 }), { code: "ERR_READ_TIMEOUT", message: "Read timed out" });
    assert.equal(q.pendingReceives, 0);
    q.push("late");
    assert.equal(await q.receive({ timeoutMs: 0 }), "late");
  });

  it("an aborted receive takes nothing and leaves the others waiting", async () => {
    const q = queue();
    const controller = new AbortController();
    const aborted = q.receive({ timeoutMs: 0, signal: controller.signal });
    const kept = q.receive({ timeoutMs: 0 });
    controller.abort();
    await assert.rejects(aborted, { code: "ERR_ABORTED" });
    q.push("x");
    assert.equal(await kept, "x");
    await assert.rejects(q.receive({ timeoutMs: 0, signal: AbortSignal.abort() }), { code: "ERR_ABORTED" });
  });

  it("drops and counts items beyond the bound while nobody receives", async () => {
    const q = queue(2);
    assert.equal(q.push("1"), true);
    assert.equal(q.push("2"), true);
    assert.equal(q.push("3"), false);
    assert.equal(q.dropped, 1);
    assert.equal(q.length, 2);
    assert.equal(await q.receive({ timeoutMs: 0 }), "1");
    assert.equal(q.push("4"), true);
    assert.equal(await q.receive({ timeoutMs: 0 }), "2");
    assert.equal(await q.receive({ timeoutMs: 0 }), "4");
  });

  it("refuses receives beyond the pending bound", async () => {
    const q = queue(8, 1);
    const waiting = q.receive({ timeoutMs: 0 });
    await assert.rejects(q.receive({ timeoutMs: 0 }), { code: "ERR_TOO_MANY_PENDING_READS" });
    q.push("ok");
    assert.equal(await waiting, "ok");
  });

  it("a transient error goes to the waiting receive, or once to the next one after queued items", async () => {
    const q = queue();
    const waiting = q.receive({ timeoutMs: 0 });
    q.fail(new TcpError("refused", { code: "ERR_SOCKET" }));
    await assert.rejects(waiting, { message: "refused" });
    q.push("before");
    q.fail(new TcpError("refused again", { code: "ERR_SOCKET" }));
    assert.equal(await q.receive({ timeoutMs: 0 }), "before");
    await assert.rejects(q.receive({ timeoutMs: 0 }), { message: "refused again" });
    q.push("after");
    assert.equal(await q.receive({ timeoutMs: 0 }), "after");
  });

  it("close rejects waiting and later receives, drops queued items and refuses pushes", async () => {
    const q = queue();
    const waiting = q.receive({ timeoutMs: 1000 });
    q.close(new TcpError("closed", { code: "ERR_SOCKET_CLOSED" }));
    await assert.rejects(waiting, { code: "ERR_SOCKET_CLOSED" });
    assert.equal(q.push("x"), false);
    assert.equal(q.length, 0);
    assert.equal(q.closed, true);
    await assert.rejects(q.receive({ timeoutMs: 0 }), { code: "ERR_SOCKET_CLOSED" });
  });

  it("keeps order across many items (compaction)", async () => {
    const q = queue(5000);
    for (let i = 0; i < 3000; i++) q.push(String(i));
    for (let i = 0; i < 3000; i++) assert.equal(await q.receive({ timeoutMs: 0 }), String(i));
    assert.equal(q.length, 0);
  });
});
