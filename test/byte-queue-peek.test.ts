import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ByteQueue } from "../src/core/byte-queue.js";

function queueOf(...parts: string[]): ByteQueue {
  const queue = new ByteQueue();
  for (const part of parts) queue.push(Buffer.from(part));
  return queue;
}

describe("ByteQueue without consuming (byteAt, slice, indexOf of a byte)", () => {
  it("reads any byte, across chunks and after a partial take, and removes none", () => {
    const queue = queueOf("ab", "cde", "f");
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => String.fromCharCode(queue.byteAt(i))).join(""), "abcdef");
    assert.equal(String.fromCharCode(queue.byteAt(1)), "b"); // backwards after forwards
    queue.take(3);
    assert.equal(String.fromCharCode(queue.byteAt(0)), "d");
    assert.equal(String.fromCharCode(queue.byteAt(2)), "f");
    assert.equal(queue.length, 3);
  });

  it("refuses an index outside the queued bytes", () => {
    const queue = queueOf("ab");
    for (const index of [-1, 2, 0.5, Number.NaN]) assert.throws(() => queue.byteAt(index), RangeError);
  });

  it("slices inside one chunk without copying, across chunks by copying", () => {
    const chunk = Buffer.from("abcd");
    const queue = new ByteQueue();
    queue.push(chunk);
    queue.push(Buffer.from("ef"));
    const inside = queue.slice(1, 3);
    assert.equal(inside.buffer, chunk.buffer);
    assert.equal(inside.toString(), "bc");
    assert.equal(queue.slice(2, 6).toString(), "cdef");
    assert.equal(queue.slice(3).toString(), "def");
    assert.equal(queue.slice(2, 2).length, 0);
    assert.equal(queue.slice(4, 99).toString(), "ef");
    assert.equal(queue.length, 6);
    assert.throws(() => queue.slice(-1, 2), RangeError);
    assert.throws(() => queue.slice(3, 2), RangeError);
  });

  it("finds a single byte given as a number", () => {
    const queue = queueOf("ab", "c\n", "d\n");
    assert.equal(queue.indexOf(0x0a), 3);
    assert.equal(queue.indexOf(0x0a, 4), 5);
    assert.equal(queue.indexOf(0x0a, 6), -1);
  });

  it("skips bytes without handing them out, and counts everything removed", () => {
    const queue = queueOf("abc", "def", "gh");
    assert.equal(queue.consumed, 0);
    queue.skip(4);
    assert.equal(queue.length, 4);
    assert.equal(queue.slice(0).toString(), "efgh");
    assert.equal(queue.consumed, 4);
    queue.take(1);
    queue.shiftChunk();
    assert.equal(queue.consumed, 6);
    queue.clear();
    assert.equal(queue.consumed, 8);
    assert.throws(() => queueOf("ab").skip(3), RangeError);
  });

  it("agrees with the concatenation for any interleaving of pushes, peeks and removals (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("push" as const), bytes: fc.uint8Array({ maxLength: 6, max: 3 }) }),
      fc.record({ kind: fc.constant("take" as const), n: fc.nat(8) }),
      fc.record({ kind: fc.constant("skip" as const), n: fc.nat(8) }),
      fc.record({ kind: fc.constant("byteAt" as const), at: fc.nat(30) }),
      fc.record({ kind: fc.constant("slice" as const), at: fc.nat(30), n: fc.nat(10) }),
      fc.record({ kind: fc.constant("indexOf" as const), at: fc.nat(30), needle: fc.uint8Array({ minLength: 1, maxLength: 3, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const queue = new ByteQueue();
        let model = Buffer.alloc(0);
        let removed = 0;
        for (const o of ops) {
          switch (o.kind) {
            case "push":
              queue.push(Buffer.from(o.bytes));
              model = Buffer.concat([model, o.bytes]);
              break;
            case "take":
            case "skip": {
              const n = Math.min(o.n, model.length);
              if (o.kind === "take") assert.deepEqual(queue.take(n), model.subarray(0, n));
              else queue.skip(n);
              model = model.subarray(n);
              removed += n;
              break;
            }
            case "byteAt":
              if (o.at < model.length) assert.equal(queue.byteAt(o.at), model[o.at]);
              break;
            case "slice":
              if (o.at <= model.length) assert.deepEqual(queue.slice(o.at, o.at + o.n), model.subarray(o.at, o.at + o.n));
              break;
            case "indexOf": {
              const expected = o.at > model.length ? -1 : model.indexOf(o.needle, o.at);
              assert.equal(queue.indexOf(o.needle, o.at), expected);
              break;
            }
          }
          assert.equal(queue.length, model.length);
          assert.equal(queue.consumed, removed);
        }
      }),
    );
  });
});
