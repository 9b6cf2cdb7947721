import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteQueue } from "../src/core/byte-queue.js";
import { FrameReader } from "../src/framing/frame-reader.js";
import { delimited, lengthPrefixed, lines, type ByteView, type Codec } from "../src/framing/index.js";
import { TcpError } from "../src/index.js";

const text = (frame: { frame: Uint8Array } | undefined): string | undefined =>
  frame === undefined ? undefined : Buffer.from(frame.frame).toString();

describe("FrameReader (driving a codec over a ByteQueue)", () => {
  it("removes exactly a frame's bytes and leaves the rest buffered", () => {
    const queue = new ByteQueue();
    const reader = new FrameReader(lines(), queue);
    assert.equal(reader.next(), undefined);
    queue.push(Buffer.from("one\r\ntw"));
    const first = reader.next();
    assert.equal(text(first), "one");
    assert.equal(first!.consumed, 5);
    assert.equal(queue.length, 2);
    assert.equal(reader.next(), undefined);
    assert.equal(queue.length, 2); // "need more" takes nothing
    queue.push(Buffer.from("o\n"));
    assert.equal(text(reader.next()), "two");
    assert.equal(queue.length, 0);
  });

  it("leaves every byte buffered when a frame is too long, and says so again on the next call", () => {
    const queue = new ByteQueue();
    const reader = new FrameReader(lengthPrefixed({ lengthBytes: 1, maxLength: 4 }), queue);
    queue.push(Buffer.from([9, 1, 2]));
    for (let attempt = 0; attempt < 2; attempt++) {
      assert.throws(() => reader.next(), (e: unknown) => e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG");
      assert.equal(queue.length, 3);
    }
    // The caller may drop the bad bytes and go on.
    queue.skip(3);
    queue.push(Buffer.from([2, 7, 8]));
    assert.deepEqual([...reader.next()!.frame], [7, 8]);
  });

  it("starts the decoder over when something else removed bytes meanwhile", () => {
    const queue = new ByteQueue();
    const reader = new FrameReader(delimited("||"), queue);
    queue.push(Buffer.from("ab|"));
    assert.equal(reader.next(), undefined); // searched "ab|", will resume at offset 2
    queue.take(2); // a plain read took "ab": the "|" is now at offset 0
    queue.push(Buffer.from("|cd||"));
    assert.equal(text(reader.next()), "");
    assert.equal(text(reader.next()), "cd");
  });

  it("wraps what a user codec throws in a TcpError with the original as cause", () => {
    const cause = new Error("bad magic");
    const codec: Codec<number> = {
      maxLength: 10,
      createDecoder: () => ({
        decode(): undefined {
          throw cause;
        },
      }),
      encode: () => new Uint8Array(0),
    };
    const queue = new ByteQueue();
    queue.push(Buffer.from("x"));
    assert.throws(
      () => new FrameReader(codec, queue).next(),
      (e: unknown) => e instanceof TcpError && e.code === "ERR_HANDLER" && e.message === "bad magic" && e.cause === cause,
    );
    assert.equal(queue.length, 1);
  });

  it("refuses a decoder result that would consume nothing or more than is buffered", () => {
    for (const consumed of [0, 3, 1.5, Number.NaN]) {
      const codec: Codec<number> = {
        maxLength: 10,
        createDecoder: () => ({ decode: (view: ByteView) => ({ frame: view.length, consumed }) }),
        encode: () => new Uint8Array(0),
      };
      const queue = new ByteQueue();
      queue.push(Buffer.from("xy"));
      assert.throws(() => new FrameReader(codec, queue).next(), (e: unknown) => e instanceof TcpError && e.code === "ERR_HANDLER", String(consumed));
      assert.equal(queue.length, 2);
    }
  });

  it("gives a decoder a view it cannot consume through", () => {
    let seen: ByteView | undefined;
    const codec: Codec<number> = {
      maxLength: 10,
      createDecoder: () => ({
        decode(view: ByteView) {
          seen = view;
          return undefined;
        },
      }),
      encode: () => new Uint8Array(0),
    };
    const queue = new ByteQueue();
    queue.push(Buffer.from("xy"));
    new FrameReader(codec, queue).next();
    assert.ok(seen !== undefined);
    assert.equal(seen.length, 2);
    assert.equal((seen as unknown as { take?: unknown }).take, undefined);
    assert.equal((seen as unknown as { skip?: unknown }).skip, undefined);
  });
});
