import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ByteQueue } from "../src/core/byte-queue.js";

function queueOf(...parts: string[]): ByteQueue {
  const queue = new ByteQueue();
  for (const part of parts) queue.push(Buffer.from(part));
  return queue;
}

describe("ByteQueue", () => {
  it("hands out the head chunk whole, without copying", () => {
    const chunk = Buffer.from("hello");
    const queue = new ByteQueue();
    queue.push(chunk);
    const out = queue.shiftChunk()!;
    assert.equal(out.buffer, chunk.buffer);
    assert.equal(out.toString(), "hello");
    assert.equal(queue.length, 0);
    assert.equal(queue.shiftChunk(), undefined);
  });

  it("takes a slice of the head chunk without copying, and the rest stays", () => {
    const chunk = Buffer.from("abcdef");
    const queue = new ByteQueue();
    queue.push(chunk);
    const head = queue.take(2);
    assert.equal(head.buffer, chunk.buffer);
    assert.equal(head.toString(), "ab");
    assert.equal(queue.shiftChunk()!.toString(), "cdef");
  });

  it("copies only across chunk boundaries", () => {
    const queue = queueOf("ab", "cd", "ef");
    assert.equal(queue.take(5).toString(), "abcde");
    assert.equal(queue.length, 1);
    assert.equal(queue.take(1).toString(), "f");
  });

  it("refuses to take more than it holds", () => {
    assert.throws(() => queueOf("ab").take(3), RangeError);
  });

  it("finds a delimiter inside a chunk and across chunks", () => {
    assert.equal(queueOf("abc\r\ndef").indexOf(Buffer.from("\r\n")), 3);
    assert.equal(queueOf("abc\r", "\ndef").indexOf(Buffer.from("\r\n")), 3);
    assert.equal(queueOf("a", "b", "c").indexOf(Buffer.from("abc")), 0);
    assert.equal(queueOf("xx--", "-", "-yy").indexOf(Buffer.from("----")), 2);
    assert.equal(queueOf("abc").indexOf(Buffer.from("x")), -1);
  });

  it("searches from an offset, after a partial take", () => {
    const queue = queueOf("a;b;c");
    queue.take(2);
    assert.equal(queue.indexOf(Buffer.from(";")), 1);
    assert.equal(queue.indexOf(Buffer.from(";"), 2), -1);
  });

  it("agrees with Buffer.indexOf on the concatenation for any split (property)", () => {
    const bytes = fc.uint8Array({ minLength: 0, maxLength: 40, max: 3 });
    fc.assert(
      fc.property(fc.array(bytes, { maxLength: 6 }), fc.uint8Array({ minLength: 1, maxLength: 4, max: 3 }), fc.nat(45), (chunks, delimiter, from) => {
        const queue = new ByteQueue();
        for (const chunk of chunks) queue.push(Buffer.from(chunk));
        const whole = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const expected = from > whole.length ? -1 : whole.indexOf(Buffer.from(delimiter), from);
        assert.equal(queue.indexOf(delimiter, from), expected);
      }),
    );
  });

  it("gives back every byte in order for any mix of takes (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 8 }), fc.array(fc.nat(25), { maxLength: 20 }), (chunks, takes) => {
        const queue = new ByteQueue();
        for (const chunk of chunks) queue.push(Buffer.from(chunk));
        const whole = Buffer.concat(chunks.map((c) => Buffer.from(c)));
        const out: Buffer[] = [];
        for (const n of takes) if (n <= queue.length) out.push(queue.take(n));
        for (let chunk = queue.shiftChunk(); chunk !== undefined; chunk = queue.shiftChunk()) out.push(chunk);
        assert.deepEqual(Buffer.concat(out), whole);
        assert.equal(queue.length, 0);
      }),
    );
  });
});
