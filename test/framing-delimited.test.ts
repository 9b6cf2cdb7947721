import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { delimited } from "../src/framing/index.js";
import { TcpError } from "../src/index.js";
import { decodeChunks, encoded } from "./helpers/framing.js";

const strings = (frames: Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString());
const chunks = (...parts: string[]): Buffer[] => parts.map((p) => Buffer.from(p));
const tooLong = (limit: number) => (e: unknown) =>
  e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG" && e.message.startsWith(`Frame longer than ${limit} bytes (delimited)`);

describe("delimited", () => {
  it("returns the bytes before the delimiter and consumes the delimiter", () => {
    const { frames, left } = decodeChunks(delimited("\0"), chunks("one\0two\0\0thr"));
    assert.deepEqual(strings(frames), ["one", "two", ""]);
    assert.equal(left, 3);
  });

  it("hands a frame over without a copy when it lies in one chunk", () => {
    const chunk = Buffer.from("abc;");
    const { frames } = decodeChunks(delimited(";"), [chunk]);
    assert.equal(frames[0]!.buffer, chunk.buffer);
  });

  it("finds a multi-byte delimiter split across chunks", () => {
    const codec = delimited("<END>");
    assert.deepEqual(strings(decodeChunks(codec, chunks("alpha<E", "N", "D>beta<", "END>")).frames), ["alpha", "beta"]);
    const bytes = Buffer.from("x<END>");
    assert.deepEqual(strings(decodeChunks(codec, [...bytes].map((b) => Buffer.from([b]))).frames), ["x"]);
  });

  it("does not take a partial delimiter for a whole one", () => {
    const codec = delimited("--");
    assert.deepEqual(strings(decodeChunks(codec, chunks("a-b-", "c--")).frames), ["a-b-c"]);
    assert.deepEqual(decodeChunks(codec, chunks("a-")), { frames: [], left: 2 });
  });

  it("takes the delimiter as bytes, and keeps its own copy", () => {
    const delimiter = Uint8Array.of(0xff, 0x00);
    const codec = delimited(delimiter);
    delimiter.fill(1);
    assert.deepEqual(strings(decodeChunks(codec, [Buffer.from([0x61, 0xff, 0x00])]).frames), ["a"]);
    assert.deepEqual(encoded(codec, Buffer.from("a")), Buffer.from([0x61, 0xff, 0x00]));
  });

  it("encodes the frame followed by the delimiter, without copying the frame", () => {
    const frame = Buffer.from("abc");
    const out = delimited("\r\n").encode(frame);
    assert.ok(Array.isArray(out));
    assert.equal(out[0], frame);
    assert.deepEqual(Buffer.concat(out), Buffer.from("abc\r\n"));
  });

  it("refuses to encode a frame that would end early on the other side", () => {
    const codec = delimited("--");
    for (const frame of ["a--b", "a-"]) {
      assert.throws(
        () => codec.encode(Buffer.from(frame)),
        (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT" && /must not contain the delimiter/.test(e.message),
        frame,
      );
    }
    assert.deepEqual(encoded(codec, Buffer.from("-a")), Buffer.from("-a--"));
  });

  it("accepts a frame of exactly maxLength, refuses one more byte as soon as it is proven", () => {
    const codec = delimited("\r\n", { maxLength: 4 });
    assert.deepEqual(strings(decodeChunks(codec, chunks("abcd\r\n")).frames), ["abcd"]);
    // maxLength + delimiter bytes without a delimiter: proven too long, while the peer is still sending.
    assert.deepEqual(decodeChunks(codec, chunks("abcde")).left, 5);
    assert.throws(() => decodeChunks(codec, chunks("abcde", "f")), tooLong(4));
    assert.throws(() => decodeChunks(codec, chunks("abcde\r\n")), tooLong(4));
    assert.throws(() => codec.encode(Buffer.from("abcde")), tooLong(4));
  });

  it("defaults maxLength to 1 MiB", () => {
    assert.equal(delimited("\n").maxLength, 1_048_576);
  });

  it("refuses an empty delimiter or a bad maxLength at construction, naming it", () => {
    const bad: [() => unknown, RegExp][] = [
      [() => delimited(""), /delimiter must not be empty/],
      [() => delimited(new Uint8Array(0)), /delimiter must not be empty/],
      [() => delimited(5 as unknown as string), /delimiter must be a string or a Uint8Array/],
      [() => delimited("\n", { maxLength: Number.NaN }), /maxLength must be a positive integer, got NaN/],
      [() => delimited("\n", { maxLength: -5 }), /maxLength must be a positive integer/],
      [() => delimited("\n", { maxLength: 2.5 }), /maxLength must be a positive integer/],
    ];
    for (const [make, message] of bad) {
      assert.throws(make, (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT" && /^delimited: /.test(e.message) && message.test(e.message));
    }
  });
});
